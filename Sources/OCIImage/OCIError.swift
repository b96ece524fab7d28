import ByteIO

/// Failures reading or writing an image layout; each names the file, blob or document concerned.
public enum OCIError: Error, Equatable, CustomStringConvertible {
    case notALayout(path: String, reason: String)
    case unsupportedLayoutVersion(path: String, version: String)
    case invalidDigest(String)
    case unsupportedDigestAlgorithm(String)
    case missingBlob(Digest, path: String)
    case blobNotRegularFile(Digest, path: String, kind: FileKind)
    /// A document over the limit; `size` is nil when it grew past the limit while being read.
    case documentTooLarge(what: String, size: Int64?, limit: Int)
    case sizeMismatch(Digest, expected: Int64, actual: Int64)
    case sizeExceeded(Digest, expected: Int64)
    case digestMismatch(Digest, actual: String)
    case malformedJSON(what: String, JSONSyntaxError)
    case invalidDocument(what: String, reason: String)
    case outputNotEmpty(path: String)
    case output(path: String, reason: String)
    case outputOverlapsInput(output: String, input: String)
    case outputBusy(path: String, staging: String)

    /// The blob the error names, when it is about one blob's bytes (so callers need not name it again).
    public var blob: Digest? {
        switch self {
        case .missingBlob(let digest, _), .sizeMismatch(let digest, _, _), .sizeExceeded(let digest, _),
            .digestMismatch(let digest, _), .blobNotRegularFile(let digest, _, _):
            digest
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .notALayout(let path, let reason): "\(path) is not an OCI image layout: \(reason)"
        case .unsupportedLayoutVersion(let path, let version):
            "\(path)/oci-layout: unsupported imageLayoutVersion \"\(version.escapedForMessage)\" (expected 1.0.0)"
        case .invalidDigest(let text): "invalid digest \"\(text.escapedForMessage)\""
        case .unsupportedDigestAlgorithm(let text):
            "unsupported digest algorithm in \"\(text.escapedForMessage)\" (only sha256)"
        case .missingBlob(let digest, let path): "blob \(digest) is missing (\(path))"
        case .blobNotRegularFile(let digest, let path, let kind):
            "blob \(digest) is \(kind), not a regular file (\(path))"
        case .documentTooLarge(let what, let size?, let limit):
            "\(what): a \(size)-byte document is over the \(limit >> 20) MiB limit for documents"
        case .documentTooLarge(let what, nil, let limit):
            "\(what): the document grew past the \(limit >> 20) MiB limit for documents while being read"
        case .sizeMismatch(let digest, let expected, let actual):
            "blob \(digest): size is \(actual) bytes, its descriptor says \(expected)"
        case .sizeExceeded(let digest, let expected):
            "blob \(digest): larger than the \(expected) bytes its descriptor says"
        case .digestMismatch(let digest, let actual): "blob \(digest): content hashes to sha256:\(actual)"
        case .malformedJSON(let what, let error): "\(what): \(error)"
        case .invalidDocument(let what, let reason): "\(what): \(reason)"
        case .outputNotEmpty(let path): "output \(path) exists and is not empty"
        case .output(let path, let reason): "cannot write \(path): \(reason)"
        case .outputOverlapsInput(let output, let input):
            "output \(output) and input \(input) overlap (one is inside the other): the input must not be modified"
        case .outputBusy(let path, let staging):
            "output \(path) is being written by another ocislim run (it holds the lock on \(staging))"
        }
    }
}
