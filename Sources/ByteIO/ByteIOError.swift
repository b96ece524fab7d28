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
    /// The path names something other than a regular file (a FIFO, a device, a directory, a socket).
    case notRegularFile(path: String, kind: FileKind)
    /// A read at `offset` found the end of the file where the reader expected more (the file shrank).
    case endOfFile(path: String, offset: Int64)

    /// The `errno` behind the failure, if it came from the system.
    public var errno: Int32? {
        switch self {
        case .open(_, let code), .read(_, let code), .write(_, let code): code
        case .tooLarge, .notRegularFile, .endOfFile: nil
        }
    }

    public var description: String {
        switch self {
        case .open(let path, let code): "cannot open \(path): \(Self.reason(code))"
        case .read(let path, let code): "cannot read \(path): \(Self.reason(code))"
        case .write(let path, let code): "cannot write \(path): \(Self.reason(code))"
        case .tooLarge(let limit): "document is larger than \(limit) bytes"
        case .notRegularFile(let path, let kind): "cannot read \(path): it is \(kind), not a regular file"
        case .endOfFile(let path, let offset): "cannot read \(path): it ends at byte \(offset), before the data read"
        }
    }

    /// The system's text for `code`, as `strerror` gives it.
    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// What a path names when it is not a regular file, from the `st_mode` of `stat(2)`.
public enum FileKind: Equatable, Sendable, CustomStringConvertible {
    case directory
    case fifo
    case characterDevice
    case blockDevice
    case socket
    case symbolicLink
    case other(mode: UInt32)

    /// The kind of a file type from `st_mode`; nil for a regular file.
    init?(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        case S_IFLNK: self = .symbolicLink
        default: self = .other(mode: UInt32(mode & S_IFMT))
        }
    }

    public var description: String {
        switch self {
        case .directory: "a directory"
        case .fifo: "a FIFO"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        case .symbolicLink: "a symbolic link"
        case .other(let mode): "a file of type 0o\(String(mode, radix: 8))"
        }
    }
}
