import ImageArchive
import OCIImage

/// Which images of a source a run works on: the entries of `index.json` the input reference selects, and, within
/// multi-platform indexes, the platforms `--platform` names. Images not selected are carried over byte for byte.
public struct ImageSelection: Sendable, Equatable {
    /// The input reference's selector.
    public var selector: ImageSelector
    /// `--platform`: empty for every platform.
    public var platforms: [Platform]

    /// Makes a selection; by default every image.
    public init(selector: ImageSelector = .all, platforms: [Platform] = []) {
        self.selector = selector
        self.platforms = platforms
    }

    /// The positions in `index` of the entries the selector picks, in order; throws, listing what there is, when it
    /// picks none.
    func entries(of index: ImageIndex, in source: any ImageSource) throws -> [Int] {
        switch selector {
        case .all:
            return Array(index.manifests.indices)
        case .name(let name):
            let matches = index.manifests.indices.filter { position in
                source.names(of: index.manifests[position]).contains { DockerNames.same($0, name) }
            }
            guard !matches.isEmpty else {
                let names = index.manifests.flatMap { source.names(of: $0) }
                throw SelectionError.noSuchName(source: source.name, name: name, available: Self.unique(names))
            }
            return matches
        case .position(let position):
            let chosen = source.entries(atPosition: position, of: index)
            guard !chosen.isEmpty else {
                throw SelectionError.noSuchPosition(
                    source: source.name, position: position, count: index.manifests.count)
            }
            return chosen
        }
    }

    /// Whether an image of `platform` (nil when neither its descriptor nor its config names one) is to be
    /// rewritten.
    func includes(_ platform: Platform?) -> Bool {
        guard !platforms.isEmpty else { return true }
        guard let platform else { return false }
        return platforms.contains { platform.satisfies($0) }
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }
}

/// A selector or platform that names nothing in the source.
public enum SelectionError: Error, Equatable, CustomStringConvertible {
    case noSuchName(source: String, name: String, available: [String])
    case noSuchPosition(source: String, position: Int, count: Int)
    case noSuchPlatform(source: String, wanted: [Platform], available: [Platform])

    public var description: String {
        switch self {
        case .noSuchName(let source, let name, let available):
            "\(source): no image named \"\(name)\""
                + (available.isEmpty
                    ? " (its images have no names)" : " (it has: \(available.joined(separator: ", ")))")
        case .noSuchPosition(let source, let position, let count):
            "\(source): no image @\(position) (it has \(count) image\(count == 1 ? "" : "s"), @0 to @\(count - 1))"
        case .noSuchPlatform(let source, let wanted, let available):
            "\(source): no image for platform \(wanted.map(\.name).joined(separator: ", "))"
                + (available.isEmpty ? "" : " (it has: \(available.map(\.name).joined(separator: ", ")))")
        }
    }
}
