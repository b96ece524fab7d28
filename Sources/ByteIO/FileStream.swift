#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file through one descriptor; the descriptor is closed when the source goes away.
public final class FileSource: ByteSource {
    /// The path the source reads.
    public let path: String
    private let descriptor: Int32

    /// Opens `path` for reading.
    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ByteIOError.open(path: path, errno: errno) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let count = Glibc.read(descriptor, base, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ByteIOError.read(path: path, errno: errno)
        }
    }
}

@available(*, unavailable)
extension FileSource: Sendable {}

/// Writes a new file through one descriptor; `finish()` flushes it to disk and closes it.
public final class FileSink: ByteSink {
    /// The path the sink writes.
    public let path: String
    private var descriptor: Int32

    /// Creates `path`, which must not exist yet.
    public init(creating path: String, mode: mode_t = 0o644) throws {
        self.path = path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw ByteIOError.open(path: path, errno: errno) }
        self.descriptor = descriptor
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let count = Glibc.write(descriptor, next, remaining)
            if count < 0 {
                if errno == EINTR { continue }
                throw ByteIOError.write(path: path, errno: errno)
            }
            remaining -= count
            next += count
        }
    }

    public func finish() throws {
        guard descriptor >= 0 else { return }
        defer { descriptor = -1 }
        if fsync(descriptor) != 0 && errno != EINVAL {
            let code = errno
            close(descriptor)
            throw ByteIOError.write(path: path, errno: code)
        }
        if close(descriptor) != 0 { throw ByteIOError.write(path: path, errno: errno) }
    }
}

@available(*, unavailable)
extension FileSink: Sendable {}
