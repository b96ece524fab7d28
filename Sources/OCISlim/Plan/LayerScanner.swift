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
    let codec: Compression
    /// libarchive's warnings (names it could not convert, and the like).
    let warnings: [String]
    /// Whether this run read (and so verified) the blob; false for a scan from `--cache`.
    var readThisRun = true
}

/// Reads a layer once, end to end: verifies the blob, decompresses it, reads every tar header, the first bytes of
/// each `.pyc` and, when the strategy needs them, the digests of files in Python trees.
struct LayerScanner {
    let source: any ImageSource
    /// Hash the data of files in Python trees (for `dedup`).
    let hashContents: Bool
    /// Compute CPython source hashes of `.py` files (for `sourceless`, to validate hash-based bytecode).
    let hashSources: Bool
    /// With `--compile-with`: check that each source of the compiler's Python version compiles.
    let compiler: BytecodeCompiler?
    /// With 2 or more, the blob is read, verified and decompressed on a thread of its own.
    var threads = 1

    func scan(_ descriptor: Descriptor) throws -> ScannedLayer {
        do {
            return try scanEntries(descriptor)
        } catch let error as OCIError {
            throw error
        } catch {
            // A blob corrupted mid-stream shows first as whatever its garbage trips (a codec error, a damaged tar
            // header, an odd entry); its digest, known only at its end, says what is really wrong. Reading the
            // compressed blob once more costs little and never inflates anything.
            _ = try source.openBlob(descriptor).copy(to: CountingSink())
            throw error
        }
    }

    private func scanEntries(_ descriptor: Descriptor) throws -> ScannedLayer {
        let blob = PeekingSource(upstream: try source.openBlob(descriptor))
        let codec = try LayerCompressionCheck.check(descriptor, prefix: try blob.peek(4))
        let uncompressed = try HashingSource(
            makeDecompressingSource(codec, upstream: blob, threads: threads)
        )
        let reader = try TarReader(source: uncompressed)
        var entries: [LayerEntry] = []
        var rules = EntryRules()
        while let entry = try reader.nextEntry() {
            try rules.check(entry)
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
        let file = PythonFile(path)
        var digest: [UInt8]?
        var header: [UInt8]?
        var sourceHashes: [UInt16: [UInt8]] = [:]
        var compiles = false
        if kind == .regular {
            // Sparse files are never dedup candidates, so their holes are never hashed.
            let wantsDigest = hashContents && entry.size > 0 && !entry.isSparse && PythonFile.isInPythonTree(path)
            let wantsSource = hashSources && file == .source && entry.size <= PythonFile.largestSourceInMemory
            if wantsDigest || wantsSource {
                let hasher = try SHA256Hasher()
                var data: [UInt8] = []
                while let block = try reader.nextDataBlock() {
                    if wantsDigest { try hasher.update(block) }
                    if wantsSource || (file.isBytecode && data.count < PycHeader.maximumSize) {
                        data.append(
                            contentsOf: wantsSource ? block[...] : block.prefix(PycHeader.maximumSize - data.count))
                    }
                }
                digest = wantsDigest ? try hasher.finalize() : nil
                if file.isBytecode { header = Array(data.prefix(PycHeader.maximumSize)) }
                if wantsSource { sourceHashes = try CPythonRelease.sourceHashes(data, sipHash: SipHash.hash) }
                if wantsSource, let compiler, PythonFile.interpreterVersion(path) == compiler.version {
                    let modulePath = [0x2f] + path.bytes
                    compiles = (try? compiler.compile(path: modulePath, source: data, mtime: entry.mtime).get()) != nil
                }
            } else if file.isBytecode {
                header = try reader.readData(limit: PycHeader.maximumSize)
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
            contentDigest: digest, pycHeaderBytes: header, sourceHashes: sourceHashes, compiles: compiles,
            isSparse: entry.isSparse
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
package enum LayerCompressionCheck {
    /// The compression the media type names, once `prefix` (the blob's first bytes) shows it is that.
    package static func check(_ descriptor: Descriptor, prefix: [UInt8]) throws -> Compression {
        guard let declared = MediaType.layerCompression(descriptor.mediaType) else {
            throw RewriteError.compressionMismatch(
                layer: descriptor.digest, mediaType: descriptor.mediaType, actual: "not a layer"
            )
        }
        let sniffed = Compression.sniff(prefix)
        // An empty blob is an empty uncompressed tar; anything else must be what the media type says.
        guard sniffed == declared || (prefix.isEmpty && declared == .uncompressed) else {
            throw RewriteError.compressionMismatch(
                layer: descriptor.digest, mediaType: descriptor.mediaType,
                actual: sniffed == .uncompressed ? "not gzip or zstd" : sniffed.rawValue
            )
        }
        return declared
    }
}
