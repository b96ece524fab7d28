import Codecs
import Foundation
import Hashing
import OCIImage
import PythonMinimizer

/// `--cache DIR`: where scans and rewritten layers are kept between runs, and how large the directory may grow.
public struct CacheSettings: Sendable, Equatable {
    /// The cache directory (created when missing); other processes may share it.
    public var directory: String
    /// `--cache-max-size`: least recently used entries are evicted at the end of a run above this many bytes.
    public var maxSize: Int64?
    /// The build that reads and writes entries: a cache written by another build is not read.
    public var tool: ToolInfo

    /// Makes settings.
    public init(directory: String, maxSize: Int64? = nil, tool: ToolInfo) {
        self.directory = directory
        self.maxSize = maxSize
        self.tool = tool
    }
}

/// Scans and rewritten layers kept between runs: the pipeline asks it before scanning or rewriting a layer and
/// gives it what it made. Two implementations: a directory (`DirectoryLayerCache`) and none (`NoLayerCache`), so
/// the stages never ask whether there is a cache. A cache never fails a run: its own trouble is a warning and a
/// miss.
protocol LayerCache: Sendable {
    /// The scan of a layer made earlier with the same options; nil on a miss.
    func scan(for key: ScanKey) -> ScannedLayer?
    /// Keeps a scan made this run.
    func store(_ scan: ScannedLayer, for key: ScanKey)
    /// Puts a layer rewritten earlier with the same plan into `store` (verified as it is copied) and returns it;
    /// nil on a miss. `input` is the layer's input blob, `inputTarSize` its tar's size (the work a hit saves).
    /// Throws only what writing to `store` throws.
    func rewrittenLayer(for key: LayerKey, input: Descriptor, inputTarSize: Int64, into store: any BlobStore) throws
        -> RewrittenLayer?
    /// Keeps a layer rewritten this run into `store` (nothing when the store keeps no files).
    func store(_ layer: RewrittenLayer, for key: LayerKey, from store: any BlobStore)
    /// Ends the run: evicts least recently used entries over the size bound.
    func finish()
    /// What the run found in the cache, for the report; nil without a cache.
    var summary: CacheReport? { get }
}

/// No cache: every lookup misses and nothing is kept.
struct NoLayerCache: LayerCache {
    func scan(for key: ScanKey) -> ScannedLayer? { nil }
    func store(_ scan: ScannedLayer, for key: ScanKey) {}
    func rewrittenLayer(for key: LayerKey, input: Descriptor, inputTarSize: Int64, into store: any BlobStore) throws
        -> RewrittenLayer?
    { nil }
    func store(_ layer: RewrittenLayer, for key: LayerKey, from store: any BlobStore) {}
    func finish() {}
    var summary: CacheReport? { nil }
}

/// What a layer's scan depends on besides its bytes: the hashes the strategy needs and the `--compile-with`
/// interpreter that checked which sources compile.
struct ScanKey: Hashable, Sendable {
    /// The input blob.
    let blob: Digest
    /// Whether file contents were hashed (`dedup`).
    let hashContents: Bool
    /// Whether CPython source hashes were computed (`sourceless`).
    let hashSources: Bool
    /// The `--compile-with` interpreter's version, when sources were test-compiled.
    let compiler: String?

    /// The entry's file name: SHA-256 over every field.
    var name: String {
        let text = "scan\n\(blob)\ncontents=\(hashContents)\nsources=\(hashSources)\ncompiler=\(compiler ?? "-")\n"
        return (try? SHA256Hasher.hash(Array(text.utf8)).hexString) ?? blob.encoded
    }
}

/// Everything a rewritten layer's bytes depend on besides the build: the input blob, the layer's plan, the output
/// codec and level, and the interpreter that compiles sources. A directory cache names the entry by a digest over
/// these and its build (`DirectoryLayerCache.entryName`), so no run without a cache encodes a plan.
struct LayerKey: Sendable {
    /// The input blob.
    let input: Digest
    /// The layer's plan.
    let plan: LayerPlan
    /// The output codec.
    let compression: Compression
    /// The output level; nil for the codec's default.
    let level: Int32?
    /// The `--compile-with` interpreter (its path and version), when there is one.
    let compiler: String?
}

/// What `--cache` saved in one run, as the report shows it.
public struct CacheReport: Codable, Sendable, Equatable {
    /// Lookups that found an entry, and those that did not.
    public struct Lookups: Codable, Sendable, Equatable {
        public var hits = 0
        public var misses = 0

        /// Makes a count.
        public init(hits: Int = 0, misses: Int = 0) {
            self.hits = hits
            self.misses = misses
        }
    }

    /// The cache directory.
    public var directory: String
    /// Layer scans found and made.
    public var scans = Lookups()
    /// Rewritten (or recompressed) layers found and made; a layer passed through unchanged is no lookup.
    public var layers = Lookups()
    /// Tar bytes not decompressed and processed again: each hit's layer, uncompressed.
    public var bytesNotRecomputed: Int64 = 0

    /// Makes an empty report.
    public init(directory: String) { self.directory = directory }
}
