import ByteIO
import Foundation
import Hashing

/// One self-checking cache entry on disk: a header — the magic `ocislim-cache-1\n`, the payload's size (8 bytes,
/// big-endian) and its SHA-256 (32 bytes) — then the payload. Written to a temp file beside its place, fsynced and
/// renamed there; the first rename wins (racing writers make the same bytes). Readers take no lock: an entry whose
/// header, size or digest does not hold is never used.
enum CacheEntryFile {
    /// The first bytes of every entry; another format's entries have other ones.
    static let magic = Array("ocislim-cache-1\n".utf8)
    /// Magic, size, digest.
    static let headerSize = magic.count + 8 + 32
    /// Entries larger than this are refused rather than read into memory.
    static let sizeLimit = 1 << 30

    /// Writes `payload` as the entry at `path` unless one is already there.
    static func write(_ payload: [UInt8], to path: String) throws {
        guard access(path, F_OK) != 0 else { return }
        var header = magic
        withUnsafeBytes(of: UInt64(payload.count).bigEndian) { header.append(contentsOf: $0) }
        header.append(contentsOf: try SHA256Hasher.hash(payload))
        try publish(at: path) { sink in
            try sink.write(header)
            try sink.write(payload)
        }
    }

    /// Writes a new file through `body` into a temp file beside `path`, fsyncs it and renames it to `path`, unless a
    /// file appeared there meanwhile (then it is left as it is: the same bytes).
    static func publish(at path: String, _ body: (FileSink) throws -> Void) throws {
        let temporaryPath = (path as NSString).deletingLastPathComponent + "/.tmp-\(UUID().uuidString)"
        let sink = try FileSink(creating: temporaryPath)
        do {
            try body(sink)
            try sink.finish()
            if access(path, F_OK) == 0 {
                unlink(temporaryPath)
                return
            }
            guard rename(temporaryPath, path) == 0 else { throw ByteIOError.write(path: path, errno: errno) }
        } catch {
            unlink(temporaryPath)
            throw error
        }
    }

    /// The payload of the entry at `path`, checked against its header.
    static func read(_ path: String) throws -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try FileSource(path: path).readAll(limit: sizeLimit)
        } catch ByteIOError.open(_, ENOENT) {
            throw CacheError.missing(path: path)
        } catch ByteIOError.tooLarge {
            throw CacheError.unusable(path: path, reason: "larger than \(sizeLimit) bytes")
        }
        guard bytes.count >= headerSize, Array(bytes.prefix(magic.count)) == magic else {
            throw CacheError.unusable(path: path, reason: "no entry header")
        }
        let size = bytes[magic.count..<(magic.count + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let payload = Array(bytes[headerSize...])
        guard UInt64(payload.count) == size else {
            throw CacheError.unusable(path: path, reason: "\(payload.count) bytes of payload, the header says \(size)")
        }
        guard try SHA256Hasher.hash(payload) == Array(bytes[(magic.count + 8)..<headerSize]) else {
            throw CacheError.unusable(path: path, reason: "its payload does not match its SHA-256")
        }
        return payload
    }
}

/// What can be wrong with a cache entry or directory. None fails a run: each is a miss, most with a warning.
enum CacheError: Error, Equatable, CustomStringConvertible {
    /// No entry there (a miss).
    case missing(path: String)
    /// An entry that fails its check (truncated, corrupt, another format): ignored and removed.
    case unusable(path: String, reason: String)

    var description: String {
        switch self {
        case .missing(let path): "no cache entry \(path)"
        case .unusable(let path, let reason): "cache entry \(path) is unusable (\(reason)); ignored"
        }
    }
}
