import ByteIO
import Foundation
import Hashing

/// Where a rewrite puts blobs. Two stores: a layout's `blobs/sha256` directory (`LayoutBlobStore`), and one that
/// only hashes and counts (`CountingBlobStore`, for `audit`), so callers never ask which kind they have.
public protocol BlobStore: Sendable {
    /// Starts a new blob; with a `verifiedDigest` the writer trusts its caller to have checked the bytes against it
    /// and does not hash them again.
    func makeWriter(verifiedDigest: Digest?) throws -> any BlobWriter
    /// Stores a blob of an input image as it is, verifying it on the way. `verifiedBefore` says this run already
    /// read the blob and checked it against its digest (a scanned layer): a store that keeps nothing need not read
    /// it again.
    func copy(_ descriptor: Descriptor, from source: any ImageSource, threads: Int, verifiedBefore: Bool) throws
    /// Stores the file at `path` as the blob `descriptor` names, verifying it by reading it: a store on the file's
    /// filesystem hard-links it when `mayLink` (no bytes written), any other copies it. Throws `OCIError`'s size or
    /// digest mismatch, storing nothing, when the file is not that blob.
    func adopt(file path: String, as descriptor: Descriptor, mayLink: Bool) throws
    /// The file holding a blob this store has committed, for a cache to keep a copy; nil for a store that keeps
    /// nothing.
    func storedFile(_ digest: Digest) -> String?
}

extension BlobStore {
    /// Starts a new blob whose digest the writer computes.
    public func makeWriter() throws -> any BlobWriter { try makeWriter(verifiedDigest: nil) }

    /// Stores bytes already in memory (a document): hash the exact bytes, write them, take the size from them.
    public func store(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let writer = try makeWriter()
        try writer.write(bytes)
        let (digest, size) = try writer.commit()
        return Descriptor(mediaType: mediaType, digest: digest, size: size)
    }

    /// Copies a blob with one thread, verifying it.
    public func copy(_ descriptor: Descriptor, from source: any ImageSource) throws {
        try copy(descriptor, from: source, threads: 1, verifiedBefore: false)
    }
}

/// One blob being written; `commit()` gives its digest and size (and, for a layout, renames it into place).
public protocol BlobWriter: ByteSink {
    /// Ends the blob: its digest and size.
    func commit() throws -> (Digest, Int64)
}

/// The blobs directory of an output layout. Each blob streams into a temp file beside its final place, hashed on the
/// way, and is renamed to its digest when complete.
public struct LayoutBlobStore: BlobStore {
    /// The `blobs/sha256` directory.
    public let directory: String

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

    public func makeWriter(verifiedDigest: Digest?) throws -> any BlobWriter {
        try FileBlobWriter(directory: directory, verifiedDigest: verifiedDigest)
    }

    /// Copies a blob from an input image, verifying it on the way (it is hashed once, by the source).
    ///
    /// With `threads` of 2 or more the blob is read and verified on a thread of its own while this one writes.
    public func copy(_ descriptor: Descriptor, from source: any ImageSource, threads: Int, verifiedBefore: Bool) throws
    {
        if let file = source.blobFile(descriptor.digest) {
            try adopt(file: file, as: descriptor, mayLink: true)
            return
        }
        let blob = try source.openBlob(descriptor)
        let source: ByteSource = threads > 1 ? ReadAheadSource(upstream: blob) : blob
        let writer = try makeWriter(verifiedDigest: descriptor.digest)
        // The source throws at its end unless the bytes had the descriptor's digest; the blob is then never renamed.
        try source.copy(to: writer)
        _ = try writer.commit()
    }

    /// Hard-links `path` in as the blob when `mayLink` and the filesystem allows it, then reads the linked file to
    /// verify it (the output stays correct if `path` is deleted later); copies it, verified, otherwise.
    public func adopt(file path: String, as descriptor: Descriptor, mayLink: Bool) throws {
        let finalPath = "\(directory)/\(descriptor.digest.encoded)"
        let temporaryPath = "\(directory)/.partial-\(UUID().uuidString)"
        // A blob already there keeps its file (the writer's commit sees it); linking onto it would leave the link.
        guard mayLink, access(finalPath, F_OK) != 0, link(path, temporaryPath) == 0 else {
            let writer = try makeWriter(verifiedDigest: descriptor.digest)
            // The source throws at its end unless the bytes had the descriptor's digest; the blob is then never
            // renamed.
            try VerifyingBlobSource(file: try FileSource(path: path), descriptor: descriptor).copy(to: writer)
            _ = try writer.commit()
            return
        }
        do {
            // The linked inode is what the output holds: read it, not the name it came from.
            _ = try VerifyingBlobSource(file: try FileSource(path: temporaryPath), descriptor: descriptor)
                .copy(to: CountingSink())
        } catch {
            unlink(temporaryPath)
            throw error
        }
        guard rename(temporaryPath, finalPath) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw OCIError.output(path: finalPath, reason: ByteIOError.reason(code))
        }
    }

    public func storedFile(_ digest: Digest) -> String? {
        let path = "\(directory)/\(digest.encoded)"
        return access(path, F_OK) == 0 ? path : nil
    }

    /// Whether a blob is already stored.
    public func contains(_ digest: Digest) -> Bool {
        FileManager.default.fileExists(atPath: "\(directory)/\(digest.encoded)")
    }
}

/// A store that keeps nothing: blobs are hashed and counted, then forgotten. An input blob copied as it is is read
/// once to verify it, unless this run already did.
public struct CountingBlobStore: BlobStore {
    /// Makes a store.
    public init() {}

    public func makeWriter(verifiedDigest: Digest?) throws -> any BlobWriter {
        try CountingBlobWriter(verifiedDigest: verifiedDigest)
    }

    public func copy(_ descriptor: Descriptor, from source: any ImageSource, threads: Int, verifiedBefore: Bool) throws
    {
        guard !verifiedBefore else { return }
        // The source throws at its end unless the bytes have the descriptor's size and digest.
        _ = try source.openBlob(descriptor).copy(to: CountingSink())
    }

    /// Reads the file to verify it; keeps nothing.
    public func adopt(file path: String, as descriptor: Descriptor, mayLink: Bool) throws {
        _ = try VerifyingBlobSource(file: try FileSource(path: path), descriptor: descriptor).copy(to: CountingSink())
    }

    public func storedFile(_ digest: Digest) -> String? { nil }
}

/// Where a writer's digest comes from: hashing what is written, or the caller, who checked the bytes against it.
private enum DigestSource {
    case hashing(SHA256Hasher)
    case verified(Digest)

    init(verifiedDigest: Digest?) throws {
        self = try verifiedDigest.map { .verified($0) } ?? .hashing(SHA256Hasher())
    }

    func update(_ bytes: UnsafeRawBufferPointer) throws {
        if case .hashing(let hasher) = self { try hasher.update(bytes) }
    }

    func digest() throws -> Digest {
        switch self {
        case .hashing(let hasher): Digest(sha256Hex: try hasher.finalizeHex())
        case .verified(let verified): verified
        }
    }
}

/// A blob written to a temp file in the store's directory, hashed and counted; `commit()` renames it to its digest.
///
/// The temp file is registered with the `StagingRegistry` while it may exist: a staging directory goes whole when a
/// run is interrupted, but an existing layout receiving an image (`oci:DIR:NAME`) stays, and so would the temp files
/// of the blobs being written into it.
final class FileBlobWriter: BlobWriter {
    private let directory: String
    private let temporaryPath: String
    private let file: FileSink
    private let digestSource: DigestSource
    private var size: Int64 = 0
    private var committed = false

    init(directory: String, verifiedDigest: Digest?) throws {
        self.directory = directory
        temporaryPath = "\(directory)/.partial-\(UUID().uuidString)"
        digestSource = try DigestSource(verifiedDigest: verifiedDigest)
        // Registered before it exists: a signal between the two finds nothing to remove, never an unlisted file.
        StagingRegistry.shared.add(temporary: temporaryPath)
        do {
            file = try FileSink(creating: temporaryPath)
        } catch {
            StagingRegistry.shared.remove(temporaryPath)
            throw error
        }
    }

    deinit {
        if !committed { unlink(temporaryPath) }
        StagingRegistry.shared.remove(temporaryPath)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try digestSource.update(bytes)
        size += Int64(bytes.count)
        try file.write(bytes)
    }

    /// Nothing to flush before `commit()`; the file is flushed and closed there.
    func finish() throws {}

    /// Flushes and closes the file and renames it to its digest; returns the digest and size.
    func commit() throws -> (Digest, Int64) {
        let digest = try digestSource.digest()
        try file.finish()
        let finalPath = "\(directory)/\(digest.encoded)"
        // A blob already there (a layout receiving another image) has these bytes: its name is their digest.
        if access(finalPath, F_OK) == 0 {
            unlink(temporaryPath)
            committed = true
            return (digest, size)
        }
        guard rename(temporaryPath, finalPath) == 0 else {
            throw OCIError.output(path: finalPath, reason: ByteIOError.reason(errno))
        }
        committed = true
        return (digest, size)
    }
}

@available(*, unavailable)
extension FileBlobWriter: Sendable {}

/// A blob that is only hashed and counted.
final class CountingBlobWriter: BlobWriter {
    private let digestSource: DigestSource
    private var size: Int64 = 0

    init(verifiedDigest: Digest?) throws { digestSource = try DigestSource(verifiedDigest: verifiedDigest) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try digestSource.update(bytes)
        size += Int64(bytes.count)
    }

    func finish() throws {}

    func commit() throws -> (Digest, Int64) { (try digestSource.digest(), size) }
}

@available(*, unavailable)
extension CountingBlobWriter: Sendable {}
