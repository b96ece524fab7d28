import ByteIO
import TarStream

/// Writes the members of an archive with fixed metadata, so the same content gives the same bytes: owner 0:0, mode
/// 0644 for files, 0755 for directories (0777 for symbolic links, as `lstat` gives them), mtime 0.
final class ArchiveMemberWriter {
    private let tar: TarWriter

    init(sink: ByteSink) throws { tar = try TarWriter(sink: sink) }

    func directory(_ name: String) throws {
        try tar.write(try .directory(path: TarPath(name), permissions: 0o755, mtime: 0))
    }

    /// A file whose bytes are in memory (a document).
    func file(_ name: String, _ bytes: [UInt8]) throws {
        try tar.write(try .regularFile(path: TarPath(name), size: Int64(bytes.count), mtime: 0), data: bytes)
    }

    /// A file of `size` bytes streamed from `source` in chunks; a source that gives another number of bytes fails
    /// with `changed(count)`.
    func file(_ name: String, size: Int64, from source: ByteSource, changed: @escaping (Int64) -> Error) throws {
        try tar.writeHeader(try .regularFile(path: TarPath(name), size: size, mtime: 0))
        let data = MemberData(tar: tar, limit: size, changed: changed)
        let copied = try source.copy(to: data)
        guard copied == size else { throw changed(copied) }
        try tar.finishEntry()
    }

    func symlink(_ name: String, to target: String) throws {
        try tar.write(try .symlink(path: TarPath(name), to: TarPath(target), mtime: 0))
    }

    /// Writes the end-of-archive marker.
    func finish() throws { try tar.finish() }
}

@available(*, unavailable)
extension ArchiveMemberWriter: Sendable {}

/// The data of the current member: refuses more than the header announced before libarchive sees it.
private final class MemberData: ByteSink {
    private let tar: TarWriter
    private let limit: Int64
    private let changed: (Int64) -> Error
    private var count: Int64 = 0

    init(tar: TarWriter, limit: Int64, changed: @escaping (Int64) -> Error) {
        self.tar = tar
        self.limit = limit
        self.changed = changed
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        count += Int64(bytes.count)
        guard count <= limit else { throw changed(count) }
        try tar.writeData(bytes)
    }

    func finish() throws {}
}
