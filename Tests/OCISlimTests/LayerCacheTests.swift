import Foundation
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// `--cache`: scans and rewritten layers reused across runs, entries that check themselves, builds kept apart, the
/// size bound, concurrent writers; the output is the same bytes with or without a cache.
@Suite struct LayerCacheTests {
    static let tool = ToolInfo(name: "ocislim", version: "test", commit: "cafe")

    /// Two images sharing their bottom two layers, each rewritten by `drop-bytecode` (3 distinct scans per image).
    static func fleet(_ fixture: LayoutFixture) throws -> (String, String) {
        let base = try RewriteTests.pythonImage()
        let first = try fixture.writeLayout("first", images: [base])
        let second = try fixture.writeLayout(
            "second",
            images: [
                Array(base.prefix(2)) + [FixtureLayer(entries: [.text("app/other", "another upper layer\n")])]
            ])
        return (first, second)
    }

    /// Rewrites `input` into a new directory under the fixture with `drop-bytecode`, through `cache` when given.
    static func rewrite(
        _ input: String, _ fixture: LayoutFixture, cache: String? = nil, maxSize: Int64? = nil,
        tool: ToolInfo = LayerCacheTests.tool
    ) async throws -> (output: String, report: RewriteReport) {
        try await rewrite(
            input, into: fixture.path("out-\(UUID().uuidString)"), cache: cache, maxSize: maxSize, tool: tool)
    }

    /// Rewrites `input` into `output`.
    static func rewrite(
        _ input: String, into output: String, cache: String? = nil, maxSize: Int64? = nil,
        tool: ToolInfo = LayerCacheTests.tool
    ) async throws -> (output: String, report: RewriteReport) {
        var options = RewriteOptions(
            input: input, output: output, strategy: .dropBytecode, minimumLayerSaving: 0, jobs: 2)
        options.settings.cache = cache.map { CacheSettings(directory: $0, maxSize: maxSize, tool: tool) }
        return (output, try await ImageRewriter(options: options).run())
    }

    /// The cache files of one kind (`scans`, `layers`, `blobs/sha256`) of the test build.
    static func entries(_ cache: String, _ kind: String, tool: ToolInfo = LayerCacheTests.tool) throws -> [String] {
        let directory = "\(cache)/ocislim-\(tool.version)-\(tool.commit)/\(kind)"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
            .map { "\(directory)/\($0)" }
    }

    static func flipLastByte(_ path: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func truncate(_ path: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: path))
    }

    @Test func secondRunHitsEveryScanAndLayerAndWritesTheSameBytes() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try Self.fleet(fixture)
        let cache = fixture.path("cache")
        let uncached = try await Self.rewrite(input, fixture)
        #expect(uncached.report.cache == nil)
        let first = try await Self.rewrite(input, fixture, cache: cache)
        let second = try await Self.rewrite(input, fixture, cache: cache)
        #expect(first.report.cache?.scans == CacheReport.Lookups(hits: 0, misses: 3))
        #expect(first.report.cache?.layers == CacheReport.Lookups(hits: 0, misses: 2))
        #expect(second.report.cache?.scans == CacheReport.Lookups(hits: 3, misses: 0))
        #expect(second.report.cache?.layers == CacheReport.Lookups(hits: 2, misses: 0))
        #expect((second.report.cache?.bytesNotRecomputed ?? 0) > 0)
        #expect(second.report.cache?.directory == cache)
        let expected = try LayoutFixture.files(under: uncached.output)
        #expect(try LayoutFixture.files(under: first.output) == expected)
        #expect(try LayoutFixture.files(under: second.output) == expected)
        #expect(second.report.renderTable().contains("cache \(cache): scans 3 hit, 0 missed; layers 2 hit, 0 missed"))
    }

    @Test func sharedLayersOfAnotherImageAreHits() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (first, second) = try Self.fleet(fixture)
        let cache = fixture.path("cache")
        _ = try await Self.rewrite(first, fixture, cache: cache)
        let cached = try await Self.rewrite(second, fixture, cache: cache)
        // The two shared layers are found; the other image's own top layer is scanned (and passed through).
        #expect(cached.report.cache?.scans == CacheReport.Lookups(hits: 2, misses: 1))
        #expect(cached.report.cache?.layers == CacheReport.Lookups(hits: 2, misses: 0))
        let uncached = try await Self.rewrite(second, fixture)
        #expect(try LayoutFixture.files(under: cached.output) == LayoutFixture.files(under: uncached.output))
    }

    @Test(arguments: ["flip", "truncate"])
    func damagedEntriesAreIgnoredAndRewritten(damage: String) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try Self.fleet(fixture)
        let cache = fixture.path("cache")
        let first = try await Self.rewrite(input, fixture, cache: cache)
        let damaged = try Self.entries(cache, "scans") + Self.entries(cache, "layers")
        for path in damaged { try damage == "flip" ? Self.flipLastByte(path) : Self.truncate(path) }
        let second = try await Self.rewrite(input, fixture, cache: cache)
        #expect(second.report.cache?.scans == CacheReport.Lookups(hits: 0, misses: 3))
        #expect(second.report.cache?.layers == CacheReport.Lookups(hits: 0, misses: 2))
        for path in damaged {
            #expect(second.report.warnings.contains { $0.hasPrefix("cache entry \(path) is unusable (") })
        }
        if damage == "flip" {
            #expect(
                second.report.warnings.contains {
                    $0 == "cache entry \(damaged[0]) is unusable (its payload does not match its SHA-256); ignored"
                })
        }
        #expect(try LayoutFixture.files(under: second.output) == LayoutFixture.files(under: first.output))
        // Rewritten: a third run finds every entry again.
        let third = try await Self.rewrite(input, fixture, cache: cache)
        #expect(third.report.cache?.scans == CacheReport.Lookups(hits: 3, misses: 0))
        #expect(third.report.cache?.layers == CacheReport.Lookups(hits: 2, misses: 0))
    }

    @Test(arguments: ["flip", "truncate"])
    func damagedBlobIsIgnoredAndRewritten(damage: String) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try Self.fleet(fixture)
        let cache = fixture.path("cache")
        let first = try await Self.rewrite(input, fixture, cache: cache)
        for path in try Self.entries(cache, "blobs/sha256") {
            try damage == "flip" ? Self.flipLastByte(path) : Self.truncate(path)
        }
        let second = try await Self.rewrite(input, fixture, cache: cache)
        #expect(second.report.cache?.layers == CacheReport.Lookups(hits: 0, misses: 2))
        #expect(second.report.warnings.contains { $0.contains("blobs/sha256/") && $0.contains("is unusable") })
        #expect(try LayoutFixture.files(under: second.output) == LayoutFixture.files(under: first.output))
        let third = try await Self.rewrite(input, fixture, cache: cache)
        #expect(third.report.cache?.layers == CacheReport.Lookups(hits: 2, misses: 0))
    }

    @Test func damagedBlobUnderADamagedEntryIsRewrittenToo() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try Self.fleet(fixture)
        let cache = fixture.path("cache")
        let first = try await Self.rewrite(input, fixture, cache: cache)
        for path in try Self.entries(cache, "layers") { try Self.truncate(path) }
        for path in try Self.entries(cache, "blobs/sha256") { try Self.flipLastByte(path) }
        let second = try await Self.rewrite(input, fixture, cache: cache)
        #expect(second.report.cache?.layers == CacheReport.Lookups(hits: 0, misses: 2))
        // The blob left under the removed entry was read before being kept: the next run finds good ones.
        let third = try await Self.rewrite(input, fixture, cache: cache)
        #expect(third.report.cache?.layers == CacheReport.Lookups(hits: 2, misses: 0))
        #expect(third.report.warnings.isEmpty)
        #expect(try LayoutFixture.files(under: third.output) == LayoutFixture.files(under: first.output))
    }

    @Test func anotherBuildsCacheIsIgnored() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try Self.fleet(fixture)
        let cache = fixture.path("cache")
        let first = try await Self.rewrite(input, fixture, cache: cache)
        let other = ToolInfo(name: "ocislim", version: "test", commit: "beef-dirty")
        let second = try await Self.rewrite(input, fixture, cache: cache, tool: other)
        #expect(second.report.cache?.scans == CacheReport.Lookups(hits: 0, misses: 3))
        #expect(second.report.cache?.layers == CacheReport.Lookups(hits: 0, misses: 2))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: cache).sorted() == [
                "ocislim-test-beef-dirty", "ocislim-test-cafe",
            ])
        #expect(try LayoutFixture.files(under: second.output) == LayoutFixture.files(under: first.output))
    }

    @Test func leastRecentlyUsedEntriesAreEvictedAboveTheBound() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let oldLayers = try RewriteTests.pythonImage().map { layer in
            var layer = layer
            layer.entries.append(.text("srv/old", "another blob\n"))
            return layer
        }
        let old = try fixture.writeLayout("old", images: [oldLayers])
        let recent = try fixture.writeLayout("recent", images: try [RewriteTests.pythonImage()])
        let cache = fixture.path("cache")
        _ = try await Self.rewrite(old, fixture, cache: cache)
        let oldFiles = try Self.allFiles(cache)
        for path in oldFiles { utimes(path, [timeval(tv_sec: 1000, tv_usec: 0), timeval(tv_sec: 1000, tv_usec: 0)]) }
        _ = try await Self.rewrite(recent, fixture, cache: cache)
        let recentFiles = try Self.allFiles(cache).subtracting(oldFiles)
        #expect(!recentFiles.isEmpty)
        let bound = recentFiles.reduce(Int64(0)) { $0 + Self.diskSize($1) }
        // A hit touches its entries: `recent`'s stay, `old`'s (least recently used) go.
        let again = try await Self.rewrite(recent, fixture, cache: cache, maxSize: bound)
        #expect(again.report.cache?.scans.misses == 0)
        #expect(try Self.allFiles(cache) == recentFiles)
        // A bound below one run's entries leaves the cache within it; what is not an entry stays.
        try Data("not an entry\n".utf8).write(to: URL(fileURLWithPath: "\(cache)/README"))
        _ = try await Self.rewrite(old, fixture, cache: cache, maxSize: 1)
        #expect(try Self.allFiles(cache) == ["\(cache)/README"])
    }

    @Test func concurrentWritersOfTheSameEntriesBothSucceed() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try Self.fleet(fixture)
        let cache = fixture.path("cache")
        let (firstOutput, secondOutput) = (fixture.path("one"), fixture.path("two"))
        async let first = Self.rewrite(input, into: firstOutput, cache: cache)
        async let second = Self.rewrite(input, into: secondOutput, cache: cache)
        let (one, two) = try await (first, second)
        let uncached = try await Self.rewrite(input, fixture)
        let expected = try LayoutFixture.files(under: uncached.output)
        #expect(try LayoutFixture.files(under: one.output) == expected)
        #expect(try LayoutFixture.files(under: two.output) == expected)
        #expect(one.report.warnings.isEmpty && two.report.warnings.isEmpty)
        let third = try await Self.rewrite(input, fixture, cache: cache)
        #expect(third.report.cache?.scans == CacheReport.Lookups(hits: 3, misses: 0))
        #expect(third.report.cache?.layers == CacheReport.Lookups(hits: 2, misses: 0))
        #expect(try Self.allFiles(cache).allSatisfy { !($0 as NSString).lastPathComponent.hasPrefix(".tmp-") })
    }

    @Test func aCacheThatCannotBeWrittenIsAWarningNotAFailure() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try Self.fleet(fixture)
        try Data("a file\n".utf8).write(to: URL(fileURLWithPath: fixture.path("file")))
        let cached = try await Self.rewrite(input, fixture, cache: fixture.path("file/cache"))
        let uncached = try await Self.rewrite(input, fixture)
        #expect(try LayoutFixture.files(under: cached.output) == LayoutFixture.files(under: uncached.output))
        let root = fixture.path("file/cache/ocislim-test-cafe")
        #expect(
            cached.report.warnings.contains {
                $0.hasPrefix("cache \(fixture.path("file/cache")): cannot create \(root): ")
                    && $0.hasSuffix("; carrying on without it")
            })
    }

    @Test func passedThroughLayersOfALayoutAreHardLinkedAndOutliveTheInput() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try Self.fleet(fixture)
        let copy = fixture.path("input-copy")
        try FileManager.default.copyItem(atPath: input, toPath: copy)
        let result = try await Self.rewrite(copy, fixture)
        let layer = try #require(result.report.images.first?.layers.last)
        #expect(layer.unchanged)
        var inputStatus = stat()
        var outputStatus = stat()
        #expect(stat("\(copy)/blobs/sha256/\(layer.blob.old.encoded)", &inputStatus) == 0)
        #expect(stat("\(result.output)/blobs/sha256/\(layer.blob.new.encoded)", &outputStatus) == 0)
        #expect(inputStatus.st_ino == outputStatus.st_ino)
        try FileManager.default.removeItem(atPath: copy)
        try LayoutFixture.checkLayout(result.output)
    }

    /// Every regular file under the cache directory.
    static func allFiles(_ cache: String) throws -> Set<String> {
        var files: Set<String> = []
        for relative in FileManager.default.enumerator(atPath: cache)?.compactMap({ $0 as? String }) ?? [] {
            var status = stat()
            if lstat("\(cache)/\(relative)", &status) == 0 && status.st_mode & S_IFMT == S_IFREG {
                files.insert("\(cache)/\(relative)")
            }
        }
        return files
    }

    /// A file's size on disk, as eviction counts it.
    static func diskSize(_ path: String) -> Int64 {
        var status = stat()
        return stat(path, &status) == 0 ? Int64(status.st_blocks) * 512 : 0
    }
}
