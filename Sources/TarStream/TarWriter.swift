import ByteIO
import CArchive

#if canImport(Glibc)
    import Glibc
#endif

/// Writes tar entries (pax format, ustar headers where they suffice) to a byte sink through libarchive.
///
/// Blocking is off, so each header and data write reaches the sink at once and in order; that lets the editor
/// interleave raw copies of kept entries with entries written here. `finish()` writes the end-of-archive marker.
public final class TarWriter {
    private let archive: OpaquePointer
    private let sink: ByteSink
    private var sinkError: Error?
    private var finished = false
    private var currentPath: TarPath?
    /// Messages of ARCHIVE_WARN results; the calls succeeded.
    public private(set) var warnings: [String] = []

    /// Starts a tar stream into `sink`.
    public init(sink: ByteSink) throws {
        TarLocale.ensureUTF8()
        guard let archive = archive_write_new() else {
            throw TarError.archive(call: "archive_write_new", message: "out of memory", entry: nil)
        }
        self.archive = archive
        self.sink = sink
        // Every stored property is set: from here on a throw runs deinit, which frees the archive.
        do {
            var ignored: [String] = []
            try checkArchive("archive_write_set_format_pax_restricted", archive: archive, warnings: &ignored) {
                archive_write_set_format_pax_restricted(archive)
            }
            // Zero disables libarchive's 10 KiB blocking: writes go straight through, no padding at the end.
            try checkArchive("archive_write_set_bytes_per_block", archive: archive, warnings: &ignored) {
                archive_write_set_bytes_per_block(archive, 0)
            }
            let context = Unmanaged.passUnretained(self).toOpaque()
            try checkArchive("archive_write_open", archive: archive, warnings: &ignored) {
                archive_write_open(archive, context, nil, tarWriterWrite, nil)
            }
        } catch {
            throw sinkError ?? error
        }
    }

    deinit {
        // archive_write_free would write the end marker of an unfinished archive; a failed stream must not get one.
        if !finished { archive_write_fail(archive) }
        archive_write_free(archive)
    }

    /// Writes the header of a new entry; its data, if any, follows through `writeData`.
    public func writeHeader(_ entry: NewTarEntry) throws {
        guard !finished else { throw TarError.finished }
        currentPath = entry.path
        try call("archive_write_header") { archive_write_header(archive, entry.handle.pointer) }
    }

    /// Writes data of the current entry; every byte is written.
    public func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw TarError.finished }
        guard let start = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(archive, start + offset, bytes.count - offset)
            if written < 0 {
                if let sinkError { throw sinkError }
                throw TarError.archive(
                    call: "archive_write_data", message: ArchiveResult.message(archive),
                    entry: currentPath?.description
                )
            }
            if written == 0 {
                throw TarError.archive(
                    call: "archive_write_data", message: "more data than the header's size",
                    entry: currentPath?.description
                )
            }
            offset += written
        }
    }

    /// Writes an entry with its data from memory.
    public func write(_ entry: NewTarEntry, data: [UInt8] = []) throws {
        try writeHeader(entry)
        try data.withUnsafeBytes { try writeData($0) }
        try finishEntry()
    }

    /// Completes the current entry now: libarchive otherwise writes its padding only at the next call, which would
    /// misplace raw bytes that the editor copies in between.
    public func finishEntry() throws {
        guard !finished else { throw TarError.finished }
        try call("archive_write_finish_entry") { archive_write_finish_entry(archive) }
    }

    /// Writes the end-of-archive marker; calling it again does nothing.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        currentPath = nil
        try call("archive_write_close") { archive_write_close(archive) }
    }

    private func call(_ name: String, _ body: () -> Int32) throws {
        do {
            try checkArchive(name, archive: archive, entry: currentPath?.description, warnings: &warnings, body)
        } catch {
            throw sinkError ?? error
        }
    }

    fileprivate func push(_ buffer: UnsafeRawPointer?, _ length: Int) -> Int {
        do {
            try sink.write(UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        } catch {
            sinkError = error
            ocislim_archive_set_error(archive, EIO, "\(error)")
            return -1
        }
    }
}

@available(*, unavailable)
extension TarWriter: Sendable {}

private func tarWriterWrite(
    _ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?, _ length: Int
) -> la_ssize_t {
    guard let context else { return -1 }
    let writer = Unmanaged<TarWriter>.fromOpaque(context).takeUnretainedValue()
    return la_ssize_t(writer.push(buffer, length))
}
