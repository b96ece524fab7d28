/// Failures of tar reading and writing, with libarchive's own message and the entry they concern.
public enum TarError: Error, Equatable, CustomStringConvertible {
    /// libarchive refused a call; `entry` names the tar entry when one was being handled.
    case archive(call: String, message: String, entry: String?)
    /// The stream is not a tar archive at all.
    case notTar(message: String)
    /// A write was attempted after `finish()`.
    case finished

    public var description: String {
        switch self {
        case .archive(let call, let message, let entry):
            if let entry { "tar entry \(entry): \(message) (\(call))" } else { "tar: \(message) (\(call))" }
        case .notTar(let message): "not a tar archive: \(message)"
        case .finished: "tar writer already finished"
        }
    }
}
