#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a regular file through one descriptor; the descriptor is closed when the source goes away.
///
/// Nothing else is opened: a FIFO would block `open(2)` until a writer comes and a device (`/dev/zero`) never ends,
/// so the path is checked with `stat(2)` before it is opened, opened without blocking, and checked again with
/// `fstat(2)` on the descriptor (the path may change in between). Symbolic links are followed: some tools build
/// layouts whose blobs link to files elsewhere; what the link reaches must still be a regular file.
public final class FileSource: ByteSource {
    /// The path the source reads.
    public let path: String
    /// The file's size when it was opened.
    public let size: Int64
    private let descriptor: Int32

    /// Opens the regular file at `path` for reading.
    public init(path: String) throws {
        self.path = path
        (descriptor, size) = try Self.openRegularFile(path)
    }

    /// Opens `path` for reading if it is a regular file; returns the descriptor (the caller closes it) and the size.
    static func openRegularFile(_ path: String) throws -> (descriptor: Int32, size: Int64) {
        var status = stat()
        guard stat(path, &status) == 0 else { throw ByteIOError.open(path: path, errno: errno) }
        if let kind = FileKind(mode: status.st_mode) { throw ByteIOError.notRegularFile(path: path, kind: kind) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw ByteIOError.open(path: path, errno: errno) }
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw ByteIOError.open(path: path, errno: code)
        }
        if let kind = FileKind(mode: status.st_mode) {
            close(descriptor)
            throw ByteIOError.notRegularFile(path: path, kind: kind)
        }
        return (descriptor, Int64(status.st_size))
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
        try writeFully(descriptor, bytes, path: path)
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

/// Writes to standard output (a pipe, a terminal or a file the shell opened); `finish()` flushes nothing further,
/// since the bytes are written as they come.
public final class StandardOutputSink: ByteSink {
    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try writeFully(STDOUT_FILENO, bytes, path: "standard output")
    }

    public func finish() throws {}
}

@available(*, unavailable)
extension StandardOutputSink: Sendable {}

/// Reads standard input (a pipe or a file the shell opened).
public final class StandardInputSource: ByteSource {
    public init() {}

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let count = Glibc.read(STDIN_FILENO, base, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ByteIOError.read(path: "standard input", errno: errno)
        }
    }
}

@available(*, unavailable)
extension StandardInputSource: Sendable {}

/// Writes every byte to `descriptor`, retrying short writes and `EINTR`; `path` names it in errors.
private func writeFully(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
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
