#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A regular file opened once for reading at offsets (`pread(2)`), so that many ranges of it (an archive's members)
/// are read through one descriptor, from any task, without a shared file position. The descriptor is closed when the
/// last range read from it goes away.
///
/// It is opened as `FileSource` opens files: checked with `stat(2)`, opened without blocking, checked again with
/// `fstat(2)`; only a regular file is read.
public final class RandomAccessFile: Sendable {
    /// The path the file was opened at, for messages.
    public let path: String
    /// The file's size when it was opened.
    public let size: Int64
    private let descriptor: Int32

    /// Opens the regular file at `path` for reading.
    public init(path: String) throws {
        self.path = path
        (descriptor, size) = try FileSource.openRegularFile(path)
    }

    private init(descriptor: Int32, path: String, size: Int64) {
        self.descriptor = descriptor
        self.path = path
        self.size = size
    }

    /// A file with no name in `directory`, holding every byte of `source`: made with `mkstemp(3)` and unlinked at
    /// once, so nothing is left behind however the process ends; its space is freed when the last reader goes.
    /// `path` names it in messages (what it was made from).
    public static func spill(_ source: ByteSource, into directory: String, path: String) throws -> RandomAccessFile {
        var template = Array("\(directory)/ocislim-spill-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        // A file that cannot be made is a failure to write into the directory (the machine's, not the input's).
        guard descriptor >= 0 else { throw ByteIOError.write(path: directory, errno: errno) }
        let made = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        unlink(made)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        // Closed by the file once it owns the descriptor, or here when filling it fails.
        let sink = DescriptorSink(descriptor: descriptor, path: made)
        do {
            let size = try source.copy(to: sink)
            return RandomAccessFile(descriptor: descriptor, path: path, size: size)
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many (0 at the end of the file).
    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let count = pread(descriptor, base, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ByteIOError.read(path: path, errno: errno)
        }
    }

    /// Reads exactly `count` bytes at `offset` (fewer only where the file ends).
    public func read(at offset: Int64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = try bytes.withUnsafeMutableBytes { raw in
                try self.read(
                    at: offset + Int64(filled), into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            }
            if read == 0 { break }
            filled += read
        }
        return Array(bytes.prefix(filled))
    }
}

/// Reads `length` bytes of a `RandomAccessFile` from `offset` on, as a stream: an archive member read in place.
///
/// The range must lie inside the file: one that ends early (the file was truncated after it was indexed) fails with
/// `ByteIOError.endOfFile` rather than ending the stream short.
public final class FileRangeSource: ByteSource {
    private let file: RandomAccessFile
    private let end: Int64
    private var position: Int64

    /// A source over `file`'s bytes `offset ..< offset + length`.
    public init(file: RandomAccessFile, offset: Int64, length: Int64) {
        self.file = file
        position = offset
        end = offset + length
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = Int(min(Int64(buffer.count), end - position))
        guard wanted > 0 else { return 0 }
        let count = try file.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
        guard count > 0 else { throw ByteIOError.endOfFile(path: file.path, offset: position) }
        position += Int64(count)
        return count
    }
}

@available(*, unavailable)
extension FileRangeSource: Sendable {}

/// Writes to a descriptor someone else owns; every byte is written.
private final class DescriptorSink: ByteSink {
    private let descriptor: Int32
    private let path: String

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
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

    func finish() throws {}
}
