import OCIImage

/// Why a finished layout cannot be written as an archive of the shape asked for. Each names the blob or image
/// concerned; the layout was staged by this run, so these mean its images do not fit the shape (or the staging
/// directory changed underneath the run).
public enum ArchiveWriteError: Error, Equatable, CustomStringConvertible {
    /// An image's config lists another number of `diff_ids` than its manifest lists layers.
    case layerCountMismatch(config: Digest, layers: Int, diffIDs: Int)
    /// A layer's uncompressed bytes do not hash to the `diff_id` its config gives it.
    case diffIDMismatch(layer: Digest, diffID: Digest, actual: Digest)
    /// A layer's uncompressed size changed between the pass that measured it and the one that wrote it.
    case layerChanged(layer: Digest, measured: Int64, written: Int64)
    /// A layer's media type is not a filesystem layer, so it cannot be stored uncompressed.
    case notALayer(layer: Digest, mediaType: String)
    /// The shape needs at least one layer per image (`docker save` refuses an empty image too).
    case noLayers(config: Digest)
    /// A `RepoTags` name is not a tagged image name.
    case invalidTag(String)
    /// The shape is not an archive.
    case notAnArchive(ImageShape)

    public var description: String {
        switch self {
        case .layerCountMismatch(let config, let layers, let diffIDs):
            "config \(config) lists \(diffIDs) diff_ids, but its manifest lists \(layers) layers"
        case .diffIDMismatch(let layer, let diffID, let actual):
            "layer \(layer) decompresses to \(actual), but its config's diff_id is \(diffID)"
        case .layerChanged(let layer, let measured, let written):
            "layer \(layer) changed while it was written: \(measured) bytes uncompressed, then \(written)"
        case .notALayer(let layer, let mediaType):
            "blob \(layer) has media type \(String(reflecting: mediaType)), which is not a filesystem layer"
        case .noLayers(let config):
            "image \(config) has no layers; a docker archive of this shape cannot hold it"
        case .invalidTag(let tag): "\(String(reflecting: tag)) is not an image name with a tag"
        case .notAnArchive(let shape): "\(shape) is not an archive shape"
        }
    }
}
