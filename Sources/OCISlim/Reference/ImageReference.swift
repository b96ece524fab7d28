import ImageArchive
import OCIImage

/// An image reference in skopeo's transport grammar, so a pipeline passes the same strings to both tools:
///
/// - `oci:DIR[:NAME]` — an OCI layout directory; NAME selects the image whose `org.opencontainers.image.ref.name`
///   is NAME (as input), or names the image written (as output).
/// - `oci-archive:FILE[:NAME]` — a tar of an OCI layout.
/// - `docker-archive:FILE[:NAME:TAG]`, `docker-archive:FILE:@N` or `docker-archive:FILE@N` — a `docker save`
///   archive; selects one image by its RepoTag or by its position in `manifest.json`.
/// - A bare path: a directory is `oci:`; a file is recognised by its content.
///
/// `-` as FILE is standard input (as input) or standard output (as output).
public struct ImageReference: Equatable, Sendable, CustomStringConvertible {
    /// The transport named, or nil for a bare path.
    public var transport: Transport?
    /// The directory or file; `-` for standard input or output.
    public var path: String
    /// Which image of the source, or what to name the image written.
    public var selector: ImageSelector

    /// The transports ocislim reads and writes.
    public enum Transport: String, Sendable, CaseIterable {
        case oci
        case ociArchive = "oci-archive"
        case dockerArchive = "docker-archive"

        /// The archive kind of an archive transport.
        var archiveKind: ArchiveKind? {
            switch self {
            case .oci: nil
            case .ociArchive: .ociArchive
            case .dockerArchive: .dockerArchive
            }
        }
    }

    /// Makes a reference.
    public init(transport: Transport?, path: String, selector: ImageSelector = .all) {
        self.transport = transport
        self.path = path
        self.selector = selector
    }

    /// Parses `text`. Only a known transport followed by `:` is a transport; anything else is a bare path.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"),
            let transport = Transport(rawValue: String(text[..<colon]))
        else {
            guard !text.isEmpty else { throw ReferenceError.emptyPath(reference: text) }
            self.init(transport: nil, path: text)
            return
        }
        let rest = String(text[text.index(after: colon)...])
        let (path, selector) = try Self.split(rest, transport: transport, reference: text)
        guard !path.isEmpty else { throw ReferenceError.emptyPath(reference: text) }
        self.init(transport: transport, path: path, selector: selector)
    }

    /// Splits `PATH[:SELECTOR]` as skopeo does: at the first colon.
    private static func split(
        _ rest: String, transport: Transport, reference: String
    ) throws -> (String, ImageSelector) {
        if transport == .dockerArchive, let at = rest.lastIndex(of: "@"), !rest[..<at].contains(":"),
            let position = Int(rest[rest.index(after: at)...])
        {
            guard position >= 0 else { throw ReferenceError.badPosition(reference: reference) }
            return (String(rest[..<at]), .position(position))
        }
        guard let colon = rest.firstIndex(of: ":") else { return (rest, .all) }
        let path = String(rest[..<colon])
        let name = String(rest[rest.index(after: colon)...])
        if transport == .dockerArchive, name.hasPrefix("@") {
            guard let position = Int(name.dropFirst()), position >= 0 else {
                throw ReferenceError.badPosition(reference: reference)
            }
            return (path, .position(position))
        }
        guard !name.isEmpty else { throw ReferenceError.emptyName(reference: reference) }
        if transport == .dockerArchive, !name.contains(":") {
            throw ReferenceError.dockerNameWithoutTag(reference: reference)
        }
        return (path, .name(name))
    }

    /// Whether the path is standard input or output.
    public var isStandardStream: Bool { path == "-" }

    public var description: String {
        let base = transport.map { "\($0.rawValue):\(path)" } ?? path
        switch selector {
        case .all: return base
        case .name(let name): return "\(base):\(name)"
        case .position(let position): return "\(base):@\(position)"
        }
    }
}

/// Which images of a source a reference selects, or what it names the image written.
public enum ImageSelector: Equatable, Sendable {
    /// Every image the source lists.
    case all
    /// The image listed under this name (a layout's ref name, a `docker save` RepoTag).
    case name(String)
    /// The image at this position of `manifest.json` (or `index.json`), from 0.
    case position(Int)
}

/// A reference that cannot be parsed, or that does not fit where it is used.
public enum ReferenceError: Error, Equatable, CustomStringConvertible {
    case emptyPath(reference: String)
    case emptyName(reference: String)
    case badPosition(reference: String)
    case dockerNameWithoutTag(reference: String)
    case nameNeedsOneImage(reference: String, count: Int)
    case baseNeedsOneImage(reference: String, count: Int)

    public var description: String {
        switch self {
        case .emptyPath(let reference): "invalid reference \"\(reference)\": no path"
        case .emptyName(let reference): "invalid reference \"\(reference)\": empty name after ':'"
        case .badPosition(let reference):
            "invalid reference \"\(reference)\": '@' must be followed by an image's position (0, 1, …)"
        case .dockerNameWithoutTag(let reference):
            "invalid reference \"\(reference)\": a docker-archive image is named NAME:TAG"
        case .baseNeedsOneImage(let reference, let count):
            "--keep-layers-of \(reference): names \(count) images; select one (oci:DIR:NAME, docker-archive:FILE@N)"
        case .nameNeedsOneImage(let reference, let count):
            "output \(reference) names one image, but the input has \(count): select one (oci:DIR:NAME, "
                + "docker-archive:FILE:NAME:TAG or FILE@N)"
        }
    }
}
