import ByteIO
import Foundation
import Hashing

/// The blobs directory of an output layout. Each blob streams into a temp file beside its final place, hashed on the
/// way, and is renamed to its digest when complete.
public struct BlobStore: Sendable {
    /// The `blobs/sha256` directory; nil for a store that only hashes and counts (for `audit`).
    public let directory: String?

    /// Uses (and creates) `<layout>/blobs/sha256`.
    public init(layoutPath: String) throws {
        let directory = layoutPath + "/blobs/sha256"
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OCIError.output(path: directory, reason: error.localizedDescription)
        }
    }

    private init() { directory = nil }

    /// A store that writes nothing: blobs are hashed and counted, then forgotten.
    public static let discarding = BlobStore()

    /// Starts a new blob.
    public func makeWriter() throws -> BlobWriter { try BlobWriter(directory: directory) }

    /// Stores bytes already in memory (a document): hash the exact bytes, write them, take the size from them.
    public func store(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let writer = try makeWriter()
        try writer.write(bytes)
        let (digest, size) = try writer.commit()
        return Descriptor(mediaType: mediaType, digest: digest, size: size)
    }

    /// Copies a blob from an input layout, verifying it on the way (it is hashed once, by the source).
    ///
    /// With `threads` of 2 or more the blob is read and verified on a thread of its own while this one writes.
    public func copy(_ descriptor: Descriptor, from layout: ImageLayout, threads: Int = 1) throws {
        let blob = try layout.openBlob(descriptor)
        let source: ByteSource = threads > 1 ? ReadAheadSource(upstream: blob) : blob
        let writer = try BlobWriter(directory: directory, verifiedDigest: descriptor.digest)
        // The source throws at its end unless the bytes had the descriptor's digest; the blob is then never renamed.
        try source.copy(to: writer)
        _ = try writer.commit()
    }

    /// Whether a blob is already stored.
    public func contains(_ digest: Digest) -> Bool {
        guard let directory else { return false }
        return FileManager.default.fileExists(atPath: "\(directory)/\(digest.encoded)")
    }
}

/// One blob being written: a temp file, hashed and counted; `commit()` renames it to its digest.
public final class BlobWriter: ByteSink {
    private let directory: String?
    private let temporaryPath: String
    private let file: FileSink?
    /// Where the digest comes from: hashing what is written, or the caller, who checked the bytes against it.
    private enum DigestSource {
        case hashing(SHA256Hasher)
        case verified(Digest)
    }

    private let digestSource: DigestSource
    private var size: Int64 = 0
    private var committed = false

    /// A writer into `directory` (nil: count and hash only); with a `verifiedDigest` it trusts its caller to have
    /// checked the bytes against that digest before `commit()` and does not hash them again.
    init(directory: String?, verifiedDigest: Digest? = nil) throws {
        self.directory = directory
        let temporaryPath = "\(directory ?? "")/.partial-\(UUID().uuidString)"
        self.temporaryPath = temporaryPath
        file = try directory.map { _ in try FileSink(creating: temporaryPath) }
        digestSource = try verifiedDigest.map { .verified($0) } ?? .hashing(SHA256Hasher())
    }

    deinit {
        if !committed && file != nil { unlink(temporaryPath) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if case .hashing(let hasher) = digestSource { try hasher.update(bytes) }
        size += Int64(bytes.count)
        try file?.write(bytes)
    }

    /// Nothing to flush before `commit()`; the file is closed there.
    public func finish() throws {}

    /// Closes the file and renames it to its digest; returns the digest and size.
    public func commit() throws -> (Digest, Int64) {
        let digest: Digest
        switch digestSource {
        case .hashing(let hasher): digest = Digest(sha256Hex: try hasher.finalizeHex())
        case .verified(let verified): digest = verified
        }
        guard let file, let directory else {
            committed = true
            return (digest, size)
        }
        try file.finish()
        let finalPath = "\(directory)/\(digest.encoded)"
        guard rename(temporaryPath, finalPath) == 0 else {
            throw OCIError.output(path: finalPath, reason: String(cString: strerror(errno)))
        }
        committed = true
        return (digest, size)
    }
}

@available(*, unavailable)
extension BlobWriter: Sendable {}
