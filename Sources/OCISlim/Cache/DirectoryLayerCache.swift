import ByteIO
import Codecs
import Foundation
import Hashing
import OCIImage
import PythonMinimizer

/// A cache directory, safe to share between processes (one machine or a shared volume):
///
///     DIR/ocislim-<version>-<commit>/scans/<key>         a layer's scan (a `CacheEntryFile` of JSON)
///     DIR/ocislim-<version>-<commit>/layers/<key>        a rewritten layer's descriptor, diff_id and tar size
///     DIR/ocislim-<version>-<commit>/blobs/sha256/<hex>  the rewritten layer's blob, named by its digest
///
/// Each build reads only its own directory, so a cache another version wrote is ignored, never misread. Entries
/// check themselves as they are read; a blob is verified against its digest as it is copied out. A hit touches the
/// entry's time, which `--cache-max-size` evicts by (least recently used first). Any trouble with the directory is
/// a warning, after which the run carries on without it.
final class DirectoryLayerCache: LayerCache, @unchecked Sendable {
    /// The user's directory.
    let directory: String
    /// This build's directory in it.
    let root: String
    private let maxSize: Int64?
    private let tool: ToolInfo
    private let warn: @Sendable (String) -> Void
    // Guarded by `lock`: lookups come from concurrent layer tasks.
    private let lock = NSLock()
    private var report: CacheReport
    private var disabled = false

    /// Opens (and creates) the cache; a directory that cannot be made is a warning and a cache that keeps nothing.
    init(settings: CacheSettings, warn: @escaping @Sendable (String) -> Void) {
        directory = settings.directory
        root = settings.directory + "/" + Self.buildDirectoryName(settings.tool)
        maxSize = settings.maxSize
        tool = settings.tool
        self.warn = warn
        report = CacheReport(directory: settings.directory)
        do {
            for sub in ["scans", "layers", "blobs/sha256"] {
                try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
            }
        } catch {
            disable(because: "cannot create \(root): \(Self.reason(error))")
        }
    }

    /// `ocislim-<version>-<commit>`, with anything but letters, digits, `.` and `-` as `_`.
    static func buildDirectoryName(_ tool: ToolInfo) -> String {
        let name = "ocislim-\(tool.version)-\(tool.commit)"
        return String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "_" })
    }

    var summary: CacheReport? { lock.withLock { report } }

    // MARK: Scans

    func scan(for key: ScanKey) -> ScannedLayer? {
        guard isEnabled else { return countScan(nil) }
        let path = "\(root)/scans/\(key.name)"
        do {
            let cached = try JSONDecoder().decode(CachedScan.self, from: Data(try CacheEntryFile.read(path)))
            guard cached.blob == key.blob else {
                throw CacheError.unusable(path: path, reason: "it holds the scan of \(cached.blob)")
            }
            touch(path)
            return countScan(cached.layer)
        } catch CacheError.missing {
            return countScan(nil)
        } catch {
            discard([path], because: error)
            return countScan(nil)
        }
    }

    func store(_ scan: ScannedLayer, for key: ScanKey) {
        guard isEnabled else { return }
        do {
            let payload = try JSONEncoder().encode(CachedScan(blob: key.blob, layer: scan))
            try CacheEntryFile.write(Array(payload), to: "\(root)/scans/\(key.name)")
        } catch {
            disable(because: "cannot write to \(root): \(Self.reason(error))")
        }
    }

    // MARK: Rewritten layers

    func rewrittenLayer(for key: LayerKey, input: Descriptor, inputTarSize: Int64, into store: any BlobStore) throws
        -> RewrittenLayer?
    {
        guard isEnabled, let name = try? entryName(key) else { return countLayer(nil, inputTarSize) }
        let entryPath = "\(root)/layers/\(name)"
        let cached: CachedLayer
        do {
            cached = try JSONDecoder().decode(CachedLayer.self, from: Data(try CacheEntryFile.read(entryPath)))
        } catch CacheError.missing {
            return countLayer(nil, inputTarSize)
        } catch {
            discard([entryPath], because: error)
            return countLayer(nil, inputTarSize)
        }
        let blobPath = "\(root)/blobs/sha256/\(cached.digest.encoded)"
        let descriptor = input.layer(compressed: cached.compression, digest: cached.digest, size: cached.size)
        guard descriptor.mediaType == cached.mediaType else { return countLayer(nil, inputTarSize) }
        do {
            // Copied, never linked: the output must not share an inode with a file others may evict or damage.
            try store.adopt(file: blobPath, as: descriptor, mayLink: false)
        } catch ByteIOError.open(_, ENOENT) {
            // Evicted by another run between the two reads.
            return countLayer(nil, inputTarSize)
        } catch let error where Self.isCacheFault(error) {
            discard([entryPath, blobPath], because: CacheError.unusable(path: blobPath, reason: "\(error)"))
            return countLayer(nil, inputTarSize)
        }
        touch(entryPath)
        touch(blobPath)
        return countLayer(
            RewrittenLayer(
                descriptor: descriptor, compression: cached.compression, diffID: cached.diffID,
                uncompressedSize: cached.uncompressedSize),
            inputTarSize)
    }

    func store(_ layer: RewrittenLayer, for key: LayerKey, from store: any BlobStore) {
        guard isEnabled, let file = store.storedFile(layer.descriptor.digest) else { return }
        do {
            let blobPath = "\(root)/blobs/sha256/\(layer.descriptor.digest.encoded)"
            // A blob already there is another run's (the same bytes) or a damaged one left by an entry that was
            // removed: read it before trusting it.
            if access(blobPath, F_OK) == 0 && !Self.holds(blobPath, layer.descriptor) { unlink(blobPath) }
            if access(blobPath, F_OK) != 0 {
                try CacheEntryFile.publish(at: blobPath) { sink in
                    _ = try VerifyingBlobSource(file: try FileSource(path: file), descriptor: layer.descriptor)
                        .copy(to: sink)
                }
            }
            let payload = try JSONEncoder().encode(CachedLayer(layer))
            try CacheEntryFile.write(Array(payload), to: "\(root)/layers/\(try entryName(key))")
        } catch {
            disable(because: "cannot write to \(root): \(Self.reason(error))")
        }
    }

    /// A rewritten layer's entry name: SHA-256 over the canonical JSON (sorted keys) of the build, the key's fields
    /// and the digest of the plan's canonical JSON.
    func entryName(_ key: LayerKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let fields = LayerKeyFields(
            tool: tool, input: key.input, plan: try SHA256Hasher.hash(Array(try encoder.encode(key.plan))).hexString,
            compression: key.compression, level: key.level, compiler: key.compiler)
        return try SHA256Hasher.hash(Array(try encoder.encode(fields))).hexString
    }

    // MARK: Eviction

    /// Removes the least recently used entries of every build's directory (`ocislim-*`; nothing else in the
    /// directory is touched) until they are within the bound.
    func finish() {
        guard let maxSize else { return }
        var files: [(path: String, size: Int64, time: Int)] = []
        let stale = Int(Date().timeIntervalSince1970) - 3600
        let builds = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0.hasPrefix("ocislim-")
        }
        let relativePaths = builds.flatMap { build in
            (FileManager.default.enumerator(atPath: "\(directory)/\(build)")?.compactMap { $0 as? String } ?? [])
                .map { "\(build)/\($0)" }
        }
        for relative in relativePaths {
            let path = "\(directory)/\(relative)"
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            let time = status.st_mtim.tv_sec
            // A temp file is another process's entry being written, unless it is an hour old.
            if (relative as NSString).lastPathComponent.hasPrefix(".tmp-") {
                if time < stale { unlink(path) }
                continue
            }
            files.append((path, Int64(status.st_blocks) * 512, time))
        }
        var total = files.reduce(0) { $0 + $1.size }
        for file in files.sorted(by: { ($0.time, $0.path) < ($1.time, $1.path) }) where total > maxSize {
            if unlink(file.path) == 0 || errno == ENOENT { total -= file.size }
        }
    }

    // MARK: Bookkeeping

    private var isEnabled: Bool { lock.withLock { !disabled } }

    private func countScan(_ layer: ScannedLayer?) -> ScannedLayer? {
        lock.withLock {
            if let layer {
                report.scans.hits += 1
                report.bytesNotRecomputed += layer.uncompressedSize
            } else {
                report.scans.misses += 1
            }
        }
        return layer
    }

    private func countLayer(_ layer: RewrittenLayer?, _ inputTarSize: Int64) -> RewrittenLayer? {
        lock.withLock {
            if layer != nil {
                report.layers.hits += 1
                report.bytesNotRecomputed += inputTarSize
            } else {
                report.layers.misses += 1
            }
        }
        return layer
    }

    /// Stops using the cache for the rest of the run, with one warning.
    private func disable(because reason: String) {
        let first = lock.withLock {
            defer { disabled = true }
            return !disabled
        }
        if first { warn("cache \(directory): \(reason); carrying on without it") }
    }

    /// Removes entries that failed their check, so the next store writes them anew.
    private func discard(_ paths: [String], because error: any Error) {
        for path in paths { unlink(path) }
        warn(error is CacheError ? "\(error)" : "cache entry \(paths[0]) is unusable (\(error)); ignored")
    }

    /// Marks an entry used now, for least-recently-used eviction.
    private func touch(_ path: String) { utimes(path, nil) }

    /// Whether an error adopting a cache blob is the cache's (a file that is not the blob, or cannot be read) rather
    /// than the output's.
    private static func isCacheFault(_ error: any Error) -> Bool {
        switch error {
        case OCIError.sizeMismatch, OCIError.sizeExceeded, OCIError.digestMismatch: true
        case ByteIOError.open, ByteIOError.read, ByteIOError.notRegularFile: true
        default: false
        }
    }

    /// Whether the file at `path` is the blob `descriptor` names (read whole to tell).
    private static func holds(_ path: String, _ descriptor: Descriptor) -> Bool {
        do {
            _ = try VerifyingBlobSource(file: try FileSource(path: path), descriptor: descriptor).copy(
                to: CountingSink())
            return true
        } catch {
            return false
        }
    }

    private static func reason(_ error: any Error) -> String { "\(error)" }
}

/// What a rewritten layer's entry name is the digest of.
private struct LayerKeyFields: Encodable {
    let tool: ToolInfo
    let input: Digest
    let plan: String
    let compression: Compression
    let level: Int32?
    let compiler: String?
}

/// A scan as the cache keeps it, with the blob it is of.
private struct CachedScan: Codable {
    let blob: Digest
    let diffID: Digest
    let uncompressedSize: Int64
    let codec: Compression
    let warnings: [String]
    let entries: [LayerEntry]

    init(blob: Digest, layer: ScannedLayer) {
        self.blob = blob
        diffID = layer.diffID
        uncompressedSize = layer.uncompressedSize
        codec = layer.codec
        warnings = layer.warnings
        entries = layer.scan.entries
    }

    /// The scan; this run did not read the blob.
    var layer: ScannedLayer {
        ScannedLayer(
            scan: LayerScan(entries: entries), diffID: diffID, uncompressedSize: uncompressedSize, codec: codec,
            warnings: warnings, readThisRun: false)
    }
}

/// A rewritten layer as the cache keeps it (its blob is beside it, under `blobs/sha256`).
private struct CachedLayer: Codable {
    let digest: Digest
    let size: Int64
    let mediaType: String
    let compression: Compression
    let diffID: Digest
    let uncompressedSize: Int64

    init(_ layer: RewrittenLayer) {
        digest = layer.descriptor.digest
        size = layer.descriptor.size
        mediaType = layer.descriptor.mediaType
        compression = layer.compression
        diffID = layer.diffID
        uncompressedSize = layer.uncompressedSize
    }
}
