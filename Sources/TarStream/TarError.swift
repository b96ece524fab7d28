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
    /// The stream ended inside an entry: `dataComplete` when only the padding after its data (and the end-of-archive
    /// blocks) are missing.
    case truncated(entry: String, dataComplete: Bool)
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
        case .truncated(let entry, false):
            "tar entry \(entry): the layer ends inside this entry's data (a truncated tar)"
        case .truncated(let entry, true):
            "tar entry \(entry): the layer ends right after this entry's data, without the padding and end-of-archive "
                + "blocks a tar needs (a truncated tar; Debian's umoci 0.4.7 `insert` writes layers like this)"
        case .finished: "tar writer already finished"
        }
    }
}
