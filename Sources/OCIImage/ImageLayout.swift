// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
import ByteIO
import Foundation
import Hashing

/// A read-only OCI image layout directory: `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
///
/// Every blob is verified against its descriptor as it is read: size and digest.
public struct ImageLayout: ImageSource {
    /// The layout's directory.
    public let path: String

    public var name: String { path }
    public var shape: ImageShape { .layout }
    public var indexName: String { "\(path)/index.json" }

    /// Documents (manifests, configs, indexes) larger than this are refused rather than read into memory.
    public static let documentLimit = 64 << 20

    /// Opens the layout at `path`, checking `oci-layout`.
    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw OCIError.notALayout(path: path, reason: "no such directory")
        }
        guard isDirectory.boolValue else { throw OCIError.notALayout(path: path, reason: "not a directory") }
        let marker = try Self.readTopLevelFile("oci-layout", in: path)
        let markerPath = path + "/oci-layout"
        let version = try JSONValue.parse(marker, what: markerPath)["imageLayoutVersion"]?.stringValue
        guard version == "1.0.0" else {
            throw OCIError.unsupportedLayoutVersion(path: path, version: version ?? "")
        }
    }

    /// The bytes of `oci-layout`, copied to the output as they are.
    public func layoutMarkerBytes() throws -> [UInt8] { try Self.readTopLevelFile("oci-layout", in: path) }

    /// The bytes of `index.json`.
    public func indexBytes() throws -> [UInt8] { try Self.readTopLevelFile("index.json", in: path) }

    /// Reads `oci-layout` or `index.json` whole, through the same guarded open as blobs, up to `documentLimit`.
    private static func readTopLevelFile(_ name: String, in layoutPath: String) throws -> [UInt8] {
        let filePath = "\(layoutPath)/\(name)"
        let file: FileSource
        do {
            file = try FileSource(path: filePath)
        } catch ByteIOError.open(_, ENOENT) {
            throw OCIError.notALayout(path: layoutPath, reason: "\(name) is missing")
        } catch ByteIOError.notRegularFile(_, let kind) {
            throw OCIError.notALayout(path: layoutPath, reason: "\(name) is \(kind), not a regular file")
        }
        return try readDocument(from: file, what: filePath, size: file.size)
    }

    /// Reads a whole document from `file`, refusing one over `documentLimit` before and while reading it (the file
    /// may grow).
    private static func readDocument(from file: ByteSource, what: String, size: Int64) throws -> [UInt8] {
        guard size <= Int64(documentLimit) else {
            throw OCIError.documentTooLarge(what: what, size: size, limit: documentLimit)
        }
        do {
            return try file.readAll(limit: documentLimit)
        } catch ByteIOError.tooLarge {
            throw OCIError.documentTooLarge(what: what, size: nil, limit: documentLimit)
        }
    }

    /// Where a blob lives.
    public func blobPath(_ digest: Digest) -> String { "\(path)/blobs/\(digest.algorithm)/\(digest.encoded)" }

    /// Whether the blob's file exists.
    public func hasBlob(_ digest: Digest) -> Bool { FileManager.default.fileExists(atPath: blobPath(digest)) }

    public func blobLocation(_ digest: Digest) -> String { blobPath(digest) }

    /// The regular files of `blobs/sha256` whose names are digests, in digest order; other names are not blobs.
    public func storedBlobs() throws -> [StoredBlob] {
        let directory = "\(path)/blobs/sha256"
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().compactMap { name in
            guard let digest = try? Digest(parsing: "sha256:\(name)") else { return nil }
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(directory)/\(name)")
            guard attributes[.type] as? FileAttributeType == .typeRegular,
                let size = (attributes[.size] as? NSNumber)?.int64Value
            else { return nil }
            return StoredBlob(digest: digest, size: size)
        }
    }

    /// Opens a blob for streaming; the source throws at its end if size or digest differ from the descriptor.
    public func openBlob(_ descriptor: Descriptor) throws -> VerifyingBlobSource {
        let blobPath = blobPath(descriptor.digest)
        let file: FileSource
        do {
            file = try FileSource(path: blobPath)
        } catch ByteIOError.open(_, ENOENT) {
            throw OCIError.missingBlob(descriptor.digest, path: blobPath)
        } catch ByteIOError.notRegularFile(_, let kind) {
            throw OCIError.blobNotRegularFile(descriptor.digest, path: blobPath, kind: kind)
        }
        return try VerifyingBlobSource(file: file, descriptor: descriptor)
    }
}

/// A blob's bytes, hashed and counted on the way; a mismatch with the descriptor throws at the latest at the end.
public final class VerifyingBlobSource: ByteSource {
    private let file: ByteSource
    private let hasher: SHA256Hasher
    private let descriptor: Descriptor
    private var count: Int64 = 0
    private var verified = false
    /// Told the number of bytes read so far after each read (a progress display); at most every 1 MiB and at the end.
    public var observer: ((Int64) -> Void)?
    private var observedAt: Int64 = 0

    /// Verifies `file`'s bytes against `descriptor`.
    public init(file: ByteSource, descriptor: Descriptor) throws {
        self.file = file
        self.descriptor = descriptor
        self.hasher = try SHA256Hasher()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let read = try file.read(into: buffer)
        if read == 0 {
            try verify()
            return 0
        }
        count += Int64(read)
        if let observer, count - observedAt >= 1 << 20 || count == descriptor.size {
            observedAt = count
            observer(count)
        }
        // A blob longer than its descriptor is wrong before it ends: stop at once.
        if count > descriptor.size {
            throw OCIError.sizeExceeded(descriptor.digest, expected: descriptor.size)
        }
        try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<read]))
        return read
    }

    private func verify() throws {
        guard !verified else { return }
        guard count == descriptor.size else {
            throw OCIError.sizeMismatch(descriptor.digest, expected: descriptor.size, actual: count)
        }
        let actual = try hasher.finalizeHex()
        guard actual == descriptor.digest.encoded else {
            throw OCIError.digestMismatch(descriptor.digest, actual: actual)
        }
        verified = true
    }
}

@available(*, unavailable)
extension VerifyingBlobSource: Sendable {}
