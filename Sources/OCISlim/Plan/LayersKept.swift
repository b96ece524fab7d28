import OCIImage

/// The lowest layers a run leaves byte-identical, so images built on one base keep sharing its layers:
/// `--keep-layers N`, and `--keep-layers-of REF` (the layers an image shares with a base image, by diff ID).
public struct LayersKept: Sendable, Equatable {
    /// `--keep-layers`: this many layers from the bottom.
    public var count: Int
    /// `--keep-layers-of`: the base image's layer chain (its config's diff IDs).
    public var base: [Digest]

    /// Makes the rule; by default no layer is kept.
    public init(count: Int = 0, base: [Digest] = []) {
        self.count = count
        self.base = base
    }

    /// How many of the bottom layers of an image with `diffIDs` are kept.
    public func count(for diffIDs: [Digest]) -> Int {
        let shared = zip(diffIDs, base).prefix { $0 == $1 }.count
        return min(diffIDs.count, max(count, shared))
    }
}
