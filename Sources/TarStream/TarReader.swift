import ByteIO
import CArchive

#if canImport(Glibc)
    import Glibc
#endif

/// Reads tar entries from a byte stream through libarchive, never touching the filesystem.
///
/// Only the tar formats (ustar, pax, GNU) are enabled; decompression happens upstream in `Codecs`, so the stream
/// positions this reader reports are offsets in the uncompressed tar.
public final class TarReader {
    private let archive: OpaquePointer
    private let source: ByteSource
    private let chunk: UnsafeMutableRawBufferPointer
    private var sourceError: Error?
    /// Whether the source has returned its end: a libarchive failure after it means the tar was cut short.
    private var sourceEnded = false
    private var closed = false
    /// Every byte pulled from the source, until settled: by the editor when it copies the raw stream, else by the
    /// reader itself as libarchive consumes them. Each header chain is checked against it (see `HeaderChain`).
    let rawWindow: RawWindow
    private let ownsWindow: Bool
    /// The entry whose header was read last, for error messages.
    private var currentPath: TarPath?
    /// The current entry's size as a file (for a sparse entry, holes included) and how much of it was returned.
    private var contentSize: Int64 = 0
    private var contentOffset: Int64 = 0
    /// Where the last stored extent of the current entry ended, to refuse overlapping sparse maps.
    private var storedEnd: Int64 = 0
    /// A stored extent read ahead while the hole before it is returned as zeros.
    private var pending: (offset: Int64, bytes: UnsafeRawBufferPointer)?
    /// Zeros for the holes of sparse entries.
    private let zeroChunk: UnsafeMutableRawBufferPointer
    /// Messages of ARCHIVE_WARN results; the calls succeeded.
    public private(set) var warnings: [String] = []

    /// Starts reading tar from `source`; `chunkSize` bytes are pulled at a time.
    public convenience init(source: ByteSource, chunkSize: Int = 256 * 1024) throws {
        try self.init(source: source, chunkSize: chunkSize, rawWindow: nil)
    }

    /// Starts reading, appending every pulled byte to `rawWindow` (libarchive pulls the first chunk while opening).
    init(source: ByteSource, chunkSize: Int = 256 * 1024, rawWindow: RawWindow?) throws {
        TarLocale.ensureUTF8()
        guard let archive = archive_read_new() else {
            throw TarError.archive(call: "archive_read_new", message: "out of memory", entry: nil)
        }
        self.archive = archive
        self.source = source
        self.chunk = .allocate(byteCount: chunkSize, alignment: 16)
        self.zeroChunk = .allocate(byteCount: 64 * 1024, alignment: 16)
        zeroChunk.initializeMemory(as: UInt8.self, repeating: 0)
        self.rawWindow = rawWindow ?? RawWindow()
        self.ownsWindow = rawWindow == nil
        // Every stored property is set: from here on a throw runs deinit, which frees the archive and the chunk.
        do {
            var ignored: [String] = []
            try checkArchive("archive_read_support_format_tar", archive: archive, warnings: &ignored) {
                archive_read_support_format_tar(archive)
            }
            // A zero-byte layer is a valid empty tar to container runtimes.
            try checkArchive("archive_read_support_format_empty", archive: archive, warnings: &ignored) {
                archive_read_support_format_empty(archive)
            }
            let context = Unmanaged.passUnretained(self).toOpaque()
            try checkArchive("archive_read_open", archive: archive, warnings: &ignored) {
                archive_read_open(archive, context, nil, tarReaderRead, nil)
            }
        } catch TarError.archive(_, let message, _) where sourceError == nil && archive_errno(archive) == EILSEQ {
            // libarchive's ARCHIVE_ERRNO_FILE_FORMAT (EILSEQ on Linux): no tar header where the stream starts.
            throw TarError.notTar(message: message)
        } catch {
            throw sourceError ?? error
        }
    }

    deinit {
        archive_read_free(archive)
        chunk.deallocate()
        zeroChunk.deallocate()
    }

    /// Reads the next header; `nil` at the end of the archive.
    public func nextEntry() throws -> TarEntry? {
        // The entry belongs to the archive and stays valid until the next call; TarEntry clones what it needs.
        var raw: OpaquePointer?
        let more: Bool
        if ownsWindow && currentPath != nil {
            // The rest of the previous entry is read here rather than skipped inside libarchive, so that the window
            // drops its bytes as they are consumed.
            while try nextStoredBlock() != nil {}
        }
        do {
            more = try checkArchive(
                "archive_read_next_header", archive: archive, entry: currentPath.map { "after \($0)" },
                warnings: &warnings
            ) {
                archive_read_next_header(archive, &raw)
            }
        } catch {
            throw sourceError ?? error
        }
        guard more, let raw else {
            currentPath = nil
            return nil
        }
        let entry = try TarEntry(copying: raw)
        currentPath = entry.path
        do throws(HeaderDisagreement) {
            // The window holds every byte libarchive pulled from this header on, so the chain is there unless its
            // records announce more bytes than the header libarchive accepted.
            guard let chain = try HeaderChain.parse(rawWindow, at: headerPosition) else {
                throw HeaderDisagreement.unparsable
            }
            try chain.check(size: entry.size, kind: entry.kind, isSparse: entry.isSparse)
        } catch {
            throw TarError.ambiguousHeader(entry: entry.path.description, error)
        }
        contentSize = entry.size
        contentOffset = 0
        storedEnd = 0
        pending = nil
        return entry
    }

    /// Reads the next block of the current entry's content; `nil` at its end. The bytes are valid until the next call.
    ///
    /// The content is the file as it reads once extracted: the holes of a sparse entry (GNU or pax sparse map) come
    /// as blocks of zeros, so that every consumer hashes, parses or re-encodes the same bytes whatever the tar
    /// stores. libarchive's blocks carry their offsets; a consumer that ignores them would join the stored
    /// extents back to back and lose every byte after the first hole.
    public func nextDataBlock() throws -> UnsafeRawBufferPointer? {
        if pending == nil {
            pending = try nextStoredBlock()
        }
        guard let (offset, bytes) = pending else {
            // The stored extents are over; a trailing hole still reads as zeros up to the file's size.
            guard contentOffset < contentSize else { return nil }
            return zeros(count: contentSize - contentOffset)
        }
        if offset > contentOffset {
            return zeros(count: offset - contentOffset)
        }
        pending = nil
        contentOffset += Int64(bytes.count)
        return bytes
    }

    /// The next stored extent of the current entry with its offset in the file; `nil` at its end. The bytes are
    /// valid until the next call. Extents come in order and never overlap (or reading fails, naming the entry).
    func nextStoredBlock() throws -> (offset: Int64, bytes: UnsafeRawBufferPointer)? {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let more: Bool
        do {
            more = try checkArchive(
                "archive_read_data_block", archive: archive, entry: currentPath?.description, warnings: &warnings
            ) {
                archive_read_data_block(archive, &buffer, &size, &offset)
            }
        } catch {
            if let sourceError { throw sourceError }
            if sourceEnded, let currentPath {
                throw TarError.truncated(entry: currentPath.description, dataComplete: storedEnd == contentSize)
            }
            throw error
        }
        if ownsWindow { try rawWindow.settle(upTo: consumedPosition, into: nil) }
        guard more else { return nil }
        // A sparse map whose regions overlap, go backwards or run past the file's size describes no single file.
        guard offset >= storedEnd, offset <= contentSize, Int64(size) <= contentSize - offset else {
            throw TarError.archive(
                call: "archive_read_data_block",
                message: "its sparse map is invalid (data at offset \(offset), \(size) bytes, in a file of "
                    + "\(contentSize) bytes)",
                entry: currentPath?.description
            )
        }
        storedEnd = offset + Int64(size)
        return (offset, UnsafeRawBufferPointer(start: buffer, count: size))
    }

    /// A block of `count` zero bytes at most (one chunk), advancing the content offset past it.
    private func zeros(count: Int64) -> UnsafeRawBufferPointer {
        let length = Int(min(count, Int64(zeroChunk.count)))
        contentOffset += Int64(length)
        return UnsafeRawBufferPointer(rebasing: zeroChunk[..<length])
    }

    /// Reads the current entry's data, up to `limit` bytes, into memory; for small files such as pyc headers.
    public func readData(limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < limit, let block = try nextDataBlock() {
            bytes.append(contentsOf: block.prefix(limit - bytes.count))
        }
        return bytes
    }

    /// The offset in the tar stream where the current entry's first header block (or its pax/GNU prefix) starts.
    public var headerPosition: Int64 { archive_read_header_position(archive) }

    /// How many bytes of the tar stream libarchive has consumed so far.
    public var consumedPosition: Int64 { archive_filter_bytes(archive, -1) }

    /// Reads and discards what is left of the source after the end-of-archive marker, so that trailing checks
    /// (a gzip trailer's CRC, a blob's digest) run over the whole stream.
    public func drainSource() throws {
        while try source.read(into: chunk) > 0 {}
    }

    fileprivate func pull(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        do {
            let count = try source.read(into: chunk)
            if count == 0 { sourceEnded = true }
            let bytes = UnsafeRawBufferPointer(rebasing: chunk[..<count])
            rawWindow.append(bytes)
            out?.pointee = UnsafeRawPointer(chunk.baseAddress)
            return count
        } catch {
            sourceError = error
            ocislim_archive_set_error(archive, EIO, "\(error)")
            return -1
        }
    }
}

@available(*, unavailable)
extension TarReader: Sendable {}

private func tarReaderRead(
    _ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> la_ssize_t {
    guard let context else { return -1 }
    let reader = Unmanaged<TarReader>.fromOpaque(context).takeUnretainedValue()
    return la_ssize_t(reader.pull(buffer))
}

/// libarchive converts names through the C locale's character set; a UTF-8 locale makes that the identity, so
/// pax UTF-8 names and raw ustar bytes both come through unchanged.
enum TarLocale {
    private static let once: Void = {
        if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "C.utf8") }
    }()

    static func ensureUTF8() { _ = once }
}
