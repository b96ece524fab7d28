/// Failures of tar reading and writing, with libarchive's own message and the entry they concern.
public enum TarError: Error, Equatable, CustomStringConvertible {
    /// libarchive refused a call; `entry` names the tar entry when one was being handled.
    case archive(call: String, message: String, entry: String?)
    /// libarchive found a damaged block where it expected a header (`entry` names where: "after NAME").
    case damaged(call: String, message: String, entry: String?)
    /// The stream is not a tar archive at all.
    case notTar(message: String)
    /// An entry's raw headers can be read otherwise than libarchive read them.
    case ambiguousHeader(entry: String, HeaderDisagreement)
    /// A write was attempted after `finish()`.
    case finished

    public var description: String {
        switch self {
        case .archive(let call, let message, let entry):
            if let entry { "tar entry \(entry): \(message) (\(call))" } else { "tar: \(message) (\(call))" }
        case .damaged(_, let message, let entry):
            if let entry {
                "tar entry \(entry): a damaged tar header (\(message))"
            } else {
                "a damaged tar header (\(message))"
            }
        case .notTar(let message): "not a tar archive: \(message)"
        case .ambiguousHeader(let entry, let disagreement): "tar entry \(entry): \(disagreement)"
        case .finished: "tar writer already finished"
        }
    }
}
