/// Failures of plain file I/O, each naming the path and the system's reason.
public enum ByteIOError: Error, Equatable, CustomStringConvertible {
    case open(path: String, reason: String)
    case read(path: String, reason: String)
    case write(path: String, reason: String)
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .open(let path, let reason): "cannot open \(path): \(reason)"
        case .read(let path, let reason): "cannot read \(path): \(reason)"
        case .write(let path, let reason): "cannot write \(path): \(reason)"
        case .tooLarge(let limit): "document is larger than \(limit) bytes"
        }
    }
}
