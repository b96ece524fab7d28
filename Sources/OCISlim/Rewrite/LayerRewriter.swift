import ByteIO
import Codecs
import Hashing
import OCIImage
import PythonMinimizer
import TarStream

/// A layer as written to the output.
struct RewrittenLayer: Sendable {
    let descriptor: Descriptor
    let compression: Compression
    let diffID: Digest
    let uncompressedSize: Int64
}

/// Rewrites one layer in a single streaming pass:
/// blob → verify → decompress → tar edit (per the plan) → hash (diff_id) → compress (target codec) → hash → blob.
struct LayerRewriter {
    let source: any ImageSource
    let store: any BlobStore
    /// The `--compile-with` worker, for sources compiled into sourceless bytecode.
    let compiler: BytecodeCompiler?
    /// The compression level of every layer written compressed; nil for each codec's default.
    let level: Int32?
    /// How many threads read, decompress and compress one layer; the bytes do not depend on it.
    let threads: Int

    /// Edits the layer's tar per `plan` and writes it with `compression`.
    func rewrite(_ descriptor: Descriptor, scanned: ScannedLayer, plan: LayerPlan, to compression: Compression)
        throws -> RewrittenLayer
    {
        let entries = scanned.scan.entries
        return try writeLayer(descriptor, scanned: scanned, to: compression) { input, tar in
            let editor = try TarEditor(source: input, sink: tar)
            _ = try editor.run(
                decide: { index, entry in
                    guard index < entries.count, ImagePath(tarName: entry.path.bytes) == entries[index].path else {
                        throw RewriteError.inputChanged(
                            layer: descriptor.digest, detail: "entry \(index) is now \(entry.path)"
                        )
                    }
                    return try edit(for: plan, index: index, entry: entry)
                },
                append: {
                    try plan.additions.map { file in
                        let entry = try NewTarEntry.regularFile(
                            path: TarPath(bytes: file.path.bytes), size: Int64(file.data.count),
                            permissions: file.metadata.permissions, uid: file.metadata.uid, gid: file.metadata.gid,
                            mtime: file.metadata.mtime
                        )
                        return (entry, file.data)
                    }
                }
            )
        }
    }

    /// Writes the layer's tar, byte for byte, with `compression`: its diff_id stays.
    func recompress(_ descriptor: Descriptor, scanned: ScannedLayer, to compression: Compression) throws
        -> RewrittenLayer
    {
        // Reading to the end checks the blob's digest and the old codec's trailer.
        try writeLayer(descriptor, scanned: scanned, to: compression, expectedDiffID: scanned.diffID) { input, tar in
            _ = try input.copy(to: tar)
        }
    }

    /// Streams the layer's tar from its verified blob through `transform` into a new blob with `compression`,
    /// hashing the tar (diff_id) and the blob on the way. With `expectedDiffID` the new blob is kept only if the tar
    /// hashes to it.
    private func writeLayer(
        _ descriptor: Descriptor, scanned: ScannedLayer, to compression: Compression,
        expectedDiffID: Digest? = nil, _ transform: (ByteSource, ByteSink) throws -> Void
    ) throws -> RewrittenLayer {
        let blob = try source.openBlob(descriptor)
        let input = try makeDecompressingSource(scanned.codec, upstream: blob, threads: threads)
        let writer = try store.makeWriter()
        let tar = try HashingSink(
            try makeCompressingSink(compression, level: level, threads: threads, downstream: writer)
        )
        try transform(input, tar)
        try tar.finish()
        let diffID = Digest(sha256Hex: try tar.hexDigest())
        if let expectedDiffID, diffID != expectedDiffID {
            throw RewriteError.inputChanged(
                layer: descriptor.digest, detail: "its tar hashed to \(expectedDiffID), now to \(diffID)"
            )
        }
        let (digest, size) = try writer.commit()
        return RewrittenLayer(
            descriptor: descriptor.layer(compressed: compression, digest: digest, size: size), compression: compression,
            diffID: diffID, uncompressedSize: tar.count
        )
    }

    /// Turns the planner's decision for entry `index` into the tar editor's: the whiteout hiding a lower copy first
    /// (when the plan says so), then what the action writes.
    func edit(for plan: LayerPlan, index: Int, entry: TarEntry) throws -> TarEdit {
        guard let action = plan.actions[index] else { return .keep }
        let hide: [TarReplacement] =
            plan.hidesLowerCopy.contains(index) ? [.header(try Self.whiteout(hiding: entry))] : []
        let createDirectory = plan.createsSourceDirectory.contains(index)
        switch action {
        case .drop, .absorbed:
            return hide.isEmpty ? .drop : .replace(hide)
        case .hardlink(let target), .retarget(let target):
            return .replace(
                hide + [.header(try .hardlink(path: entry.path, to: TarPath(bytes: target.bytes), metadata: entry))])
        case .materialize(let name, _), .move(let name):
            return .replace(hide + [.entryData(under: try .renamed(entry, to: TarPath(bytes: name.bytes)))])
        case .compressSource(let name):
            return .replace(hide + (try Self.compressedSourcePieces(entry, at: name, createDirectory: createDirectory)))
        case .compileSource(let pyc, let sources):
            guard let compiler else { preconditionFailure("compileSource is planned only with a compiler") }
            var pieces = hide
            let modulePath = [0x2f] + ImagePath(tarName: entry.path.bytes).bytes
            pieces.append(
                .transformedData(
                    under: try .regularFile(path: TarPath(bytes: pyc.bytes), metadataFrom: entry),
                    limit: Int(PythonFile.largestSourceInMemory),
                    transform: { source in
                        switch try compiler.compile(path: modulePath, source: source, mtime: entry.mtime) {
                        case .success(let bytecode): return bytecode
                        case .failure(let failure):
                            throw RewriteError.compileFailed(path: entry.path.description, message: failure.message)
                        }
                    }
                ))
            if let sources {
                pieces += try Self.compressedSourcePieces(entry, at: sources, createDirectory: createDirectory)
            }
            return .replace(pieces)
        }
    }

    /// The source's `.zpy` at `path`, preceded by its `__pysources__` directory's entry when `createDirectory`; both
    /// take the source's owner and time.
    static func compressedSourcePieces(_ entry: TarEntry, at path: ImagePath, createDirectory: Bool) throws
        -> [TarReplacement]
    {
        var pieces: [TarReplacement] = []
        if createDirectory {
            pieces.append(
                .header(
                    try .directory(
                        path: TarPath(bytes: path.parent.bytes), permissions: 0o755, uid: entry.uid, gid: entry.gid,
                        mtime: entry.mtime
                    )))
        }
        pieces.append(
            .transformedData(
                under: try .regularFile(path: TarPath(bytes: path.bytes), metadataFrom: entry),
                limit: Int(PythonFile.largestSourceInMemory), transform: compressedSource
            ))
        return pieces
    }

    /// A `.zpy`: one gzip member (no name, mtime 0) of the exact source bytes, at the strongest level.
    static func compressedSource(_ source: [UInt8]) throws -> [UInt8] {
        let sink = MemorySink()
        let compressor = try GzipCompressor(level: 9, downstream: sink)
        try compressor.write(source)
        try compressor.finish()
        return sink.bytes
    }

    /// An OCI whiteout (`.wh.NAME`, empty) for the entry's path, stamped with the entry's time.
    static func whiteout(hiding entry: TarEntry) throws -> NewTarEntry {
        let path = Whiteout.entryPath(hiding: ImagePath(tarName: entry.path.bytes))
        return try .regularFile(path: TarPath(bytes: path.bytes), size: 0, permissions: 0o644, mtime: entry.mtime)
    }
}
