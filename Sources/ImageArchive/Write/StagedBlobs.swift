import ByteIO
import Codecs
import Hashing
import OCIImage

/// The blobs of the staged layout as an archive stores them: as they are, or as uncompressed layers.
///
/// A tar header carries its member's size, and a compressed layer's uncompressed size is written nowhere; so a layer
/// stored uncompressed is decompressed twice: once to count its bytes and check them against its diff_id, once to
/// write them. Decompressing is cheaper than writing the bytes to a temporary file and reading them back (zstd and
/// ISA-L inflate run at several hundred MB/s to GB/s), needs no disk space beside the output, and never puts
/// unverified bytes in the archive. Both passes read the compressed blob through its digest check, so the second
/// pass decompresses the very bytes the first one verified.
final class StagedBlobs {
    let layout: ImageLayout
    /// Uncompressed sizes measured so far, by layer blob digest.
    private var uncompressedSizes: [Digest: Int64] = [:]

    init(layout: ImageLayout) { self.layout = layout }

    // MARK: Blobs as they are

    /// Writes a blob as it is, verified against its descriptor as it streams.
    func copy(_ descriptor: Descriptor, as name: String, into members: ArchiveMemberWriter) throws {
        let source = try layout.openBlob(descriptor)
        try members.file(name, size: descriptor.size, from: source) {
            OCIError.sizeMismatch(descriptor.digest, expected: descriptor.size, actual: $0)
        }
    }

    /// Every blob file of the layout, by digest, with its size: what a tar of the layout holds.
    func all() throws -> [Descriptor] {
        let directory = "\(layout.path)/blobs/sha256"
        var blobs: [Descriptor] = []
        // A name that is not a digest is no blob (a writer's `.partial-…` file).
        for name in try Directory.entries(directory).sorted() {
            guard let digest = try? Digest(parsing: "sha256:" + name) else { continue }
            let size = try FileSource(path: "\(directory)/\(name)").size
            blobs.append(Descriptor(mediaType: "application/octet-stream", digest: digest, size: size))
        }
        return blobs
    }

    // MARK: Layers uncompressed

    /// The layer's uncompressed size, measured once by decompressing it; its bytes must hash to `diffID`.
    func uncompressedSize(of layer: Descriptor, diffID: Digest) throws -> Int64 {
        let compression = try Self.compression(of: layer)
        if compression == .uncompressed {
            // An uncompressed blob is its own tar: its digest is the diff_id (checked again as it streams).
            guard layer.digest == diffID else {
                throw ArchiveWriteError.diffIDMismatch(layer: layer.digest, diffID: diffID, actual: layer.digest)
            }
            return layer.size
        }
        if let known = uncompressedSizes[layer.digest] { return known }
        let source = try makeDecompressingSource(compression, upstream: try layout.openBlob(layer), threads: 2)
        let hashing = try HashingSink()
        try source.copy(to: hashing)
        let actual = Digest(sha256Hex: try hashing.hexDigest())
        guard actual == diffID else {
            throw ArchiveWriteError.diffIDMismatch(layer: layer.digest, diffID: diffID, actual: actual)
        }
        uncompressedSizes[layer.digest] = hashing.count
        return hashing.count
    }

    /// Writes the layer's tar, decompressed when the blob is compressed.
    func writeUncompressed(_ layer: Descriptor, diffID: Digest, as name: String, into members: ArchiveMemberWriter)
        throws
    {
        let size = try uncompressedSize(of: layer, diffID: diffID)
        let compression = try Self.compression(of: layer)
        let source = try makeDecompressingSource(compression, upstream: try layout.openBlob(layer), threads: 2)
        try members.file(name, size: size, from: source) {
            ArchiveWriteError.layerChanged(layer: layer.digest, measured: size, written: $0)
        }
    }

    /// The compression of a layer, by its media type.
    static func compression(of layer: Descriptor) throws -> Compression {
        guard let compression = MediaType.layerCompression(layer.mediaType) else {
            throw ArchiveWriteError.notALayer(layer: layer.digest, mediaType: layer.mediaType)
        }
        return compression
    }
}

@available(*, unavailable)
extension StagedBlobs: Sendable {}
