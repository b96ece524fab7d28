import OCIImage

/// Failures of the pipeline that add context (which layer, which image) to a lower-level error.
public enum RewriteError: Error, CustomStringConvertible {
    /// A layer failed; `underlying` names the tar entry or blob problem.
    case layer(Digest, underlying: Error)
    /// A layer's uncompressed content does not hash to the config's diff_id.
    case diffIDMismatch(layer: Digest, config: Digest, expected: Digest, actual: Digest)
    /// The media type names one compression, the bytes are another.
    case compressionMismatch(layer: Digest, mediaType: String, actual: String)
    /// A source that compiled during the scan failed to compile in the rewrite.
    case compileFailed(path: String, message: String)
    /// The layer changed between the scan and the rewrite (the input was modified while we read it).
    case inputChanged(layer: Digest, detail: String)
    /// The file system holding the output ran out of space (or quota); `underlying` says what was being written.
    case outputFull(output: String, underlying: Error)

    public var description: String {
        switch self {
        case .layer(let digest, let underlying):
            // Blob errors already name the blob; others (tar entries, codecs) need the layer for context.
            (underlying as? OCIError)?.blob == digest ? "\(underlying)" : "layer \(digest): \(underlying)"
        case .diffIDMismatch(let layer, let config, let expected, let actual):
            "layer \(layer): config \(config) lists diff_id \(expected), but the uncompressed layer hashes to \(actual)"
        case .compressionMismatch(let layer, let mediaType, let actual):
            "layer \(layer): media type \(mediaType) does not match its content, which is \(actual)"
        case .inputChanged(let layer, let detail): "layer \(layer) changed while being read: \(detail)"
        case .compileFailed(let path, let message): "compiling \(path): \(message)"
        case .outputFull(let output, let underlying):
            "the file system holding \(output) is full; free space or choose another output (\(underlying))"
        }
    }
}
