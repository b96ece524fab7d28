#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Failures of plain file I/O, each naming the path and carrying the system's `errno`, so callers decide by the
/// cause (`ENOENT`, `ENOSPC`) rather than by message text.
public enum ByteIOError: Error, Equatable, CustomStringConvertible {
    case open(path: String, errno: Int32)
    case read(path: String, errno: Int32)
    case write(path: String, errno: Int32)
    case tooLarge(limit: Int)

    /// The `errno` behind the failure, if it came from the system.
    public var errno: Int32? {
        switch self {
        case .open(_, let code), .read(_, let code), .write(_, let code): code
        case .tooLarge: nil
        }
    }

    public var description: String {
        switch self {
        case .open(let path, let code): "cannot open \(path): \(Self.reason(code))"
        case .read(let path, let code): "cannot read \(path): \(Self.reason(code))"
        case .write(let path, let code): "cannot write \(path): \(Self.reason(code))"
        case .tooLarge(let limit): "document is larger than \(limit) bytes"
        }
    }

    /// The system's text for `code`, as `strerror` gives it.
    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
