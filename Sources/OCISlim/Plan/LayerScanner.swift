import ByteIO
import Codecs
import Hashing
import OCIImage
import PythonMinimizer
import TarStream

/// What one pass over a layer learned: its entries for the planner, and its real diff_id.
struct ScannedLayer: Sendable {
    let scan: LayerScan
    let diffID: Digest
    let uncompressedSize: Int64
    let codec: LayerCompression
    /// libarchive's warnings (names it could not convert, and the like).
    let warnings: [String]
}

/// Reads a layer once, end to end: verifies the blob, decompresses it, reads every tar header, the first bytes of
/// each `.pyc` and, when the strategy needs them, the digests of files in Python trees.
struct LayerScanner {
    let layout: ImageLayout
    let hashContents: Bool

    /// Bytes of a `.pyc` kept for its header (PEP 552: 16).
    static let pycHeaderBytes = 16

    func scan(_ descriptor: Descriptor) throws -> ScannedLayer {
        let codec = try LayerCodec.check(descriptor, in: layout)
        let blob = try layout.openBlob(descriptor)
        let uncompressed = try HashingSource(makeDecompressingSource(codec.streamCodec, upstream: blob))
        let reader = try TarReader(source: uncompressed)
        var entries: [LayerEntry] = []
        while let entry = try reader.nextEntry() {
            entries.append(try record(entry, reader: reader))
        }
        // Read to the very end so the gzip trailer's CRC and the blob's digest are checked.
        try reader.drainSource()
        return ScannedLayer(
            scan: LayerScan(entries: entries), diffID: Digest(sha256Hex: try uncompressed.hexDigest()),
            uncompressedSize: uncompressed.count, codec: codec, warnings: reader.warnings
        )
    }

    private func record(_ entry: TarEntry, reader: TarReader) throws -> LayerEntry {
        let path = ImagePath(tarName: entry.path.bytes)
        let kind = LayerEntry.Kind(entry.kind)
        var digest: [UInt8]?
        var pycHeader: PycHeader?
        if kind == .regular, entry.size > 0 {
            let isBytecode = PythonFile(path).isBytecode
            if hashContents && PythonFile.isInPythonTree(path) {
                let hasher = try SHA256Hasher()
                var head: [UInt8] = []
                while let block = try reader.nextDataBlock() {
                    try hasher.update(block)
                    if isBytecode && head.count < Self.pycHeaderBytes {
                        head.append(contentsOf: block.prefix(Self.pycHeaderBytes - head.count))
                    }
                }
                digest = try hasher.finalize()
                pycHeader = isBytecode ? PycHeader(head) : nil
            } else if isBytecode {
                pycHeader = PycHeader(try reader.readData(limit: Self.pycHeaderBytes))
            }
        }
        return LayerEntry(
            path: path, kind: kind, size: entry.size,
            hardlinkTarget: entry.kind == .hardlink ? entry.linkTarget.map { ImagePath(tarName: $0.bytes) } : nil,
            metadata: EntryMetadata(
                permissions: entry.permissions, uid: entry.uid, gid: entry.gid, mtime: entry.mtime,
                mtimeNanoseconds: entry.mtimeNanoseconds,
                xattrs: entry.xattrs.map { XattrPair(name: $0.name, value: $0.value) }
            ),
            contentDigest: digest, pycHeader: pycHeader
        )
    }
}

extension LayerEntry.Kind {
    init(_ kind: TarEntryKind) {
        switch kind {
        case .regular: self = .regular
        case .directory: self = .directory
        case .symlink: self = .symlink
        case .hardlink: self = .hardlink
        default: self = .other
        }
    }
}

/// The compression of a layer: named by its media type, checked against its first bytes.
enum LayerCodec {
    static func check(_ descriptor: Descriptor, in layout: ImageLayout) throws -> LayerCompression {
        guard let declared = MediaType.layerCompression(descriptor.mediaType) else {
            throw RewriteError.compressionMismatch(
                layer: descriptor.digest, mediaType: descriptor.mediaType, actual: "not a layer"
            )
        }
        var prefix = [UInt8](repeating: 0, count: 4)
        let file = try layout.openBlob(descriptor)
        let count = try prefix.withUnsafeMutableBytes { try file.readFully(into: $0) }
        let sniffed = Codec.sniff(Array(prefix[..<count]))
        // An empty blob is an empty uncompressed tar; anything else must be what the media type says.
        guard sniffed == declared.streamCodec || (count == 0 && declared == .uncompressed) else {
            throw RewriteError.compressionMismatch(
                layer: descriptor.digest, mediaType: descriptor.mediaType,
                actual: sniffed == Codec.none ? "not gzip or zstd" : sniffed.rawValue
            )
        }
        return declared
    }
}

extension LayerCompression {
    /// The stream codec that reads and writes this compression.
    var streamCodec: Codec {
        switch self {
        case .uncompressed: Codec.none
        case .gzip: Codec.gzip
        case .zstd: Codec.zstd
        }
    }
}
