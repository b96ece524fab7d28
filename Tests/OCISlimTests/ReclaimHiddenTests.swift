import Foundation
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// `--reclaim-hidden`: what upper layers hide is removed from the layers that hold it, and nothing visible changes.
@Suite struct ReclaimHiddenTests {
    /// The classic waste: `RUN rm` of a big file, a copy-up by `chmod`, a directory replaced wholesale (opaque), a
    /// file replaced by a directory. (A file written twice in one layer is refused as a hostile tar before planning.)
    static func wastefulImage() -> (layers: [FixtureLayer], hidden: Int64) {
        let big = LayoutFixture.noise(count: 100_000, seed: 1)
        let doc = LayoutFixture.noise(count: 50_000, seed: 2)
        let old = LayoutFixture.noise(count: 30_000, seed: 3)
        let tool = LayoutFixture.noise(count: 20_000, seed: 4)
        let scratch = LayoutFixture.noise(count: 10_000, seed: 5)
        let layers = [
            FixtureLayer(entries: [
                .directory("etc"), .file("etc/big.bin", big), .directory("usr/share/doc"),
                .file("usr/share/doc/readme", doc), .directory("srv/data"), .file("srv/data/old.db", old),
                .file("opt/tool", tool), .file("opt/kept", Array("kept".utf8)),
            ]),
            FixtureLayer(entries: [
                .file("etc/.wh.big.bin", []),
                .file("usr/share/doc/readme", doc, mode: 0o600),
                .directory("srv/data"), .file("srv/data/.wh..wh..opq", []), .file("srv/data/new.db", Array("n".utf8)),
                .file("srv/scratch", scratch),
            ]),
            FixtureLayer(entries: [
                .directory("opt/tool"), .file("opt/tool/run", Array("#!/bin/sh\n".utf8)), .file("srv/.wh.scratch", []),
            ]),
        ]
        return (layers, Int64(big.count + doc.count + old.count + tool.count + scratch.count))
    }

    private func rewrite(
        _ input: String, _ output: String, strategy: Strategy = .dedup, keepLayers: Int = 0, minimum: Int64 = 0
    ) async throws -> RewriteReport {
        var options = RewriteOptions(
            input: input, output: output, strategy: strategy, minimumLayerSaving: minimum, jobs: 2)
        options.reclaimHidden = true
        options.keepLayers = keepLayers
        return try await ImageRewriter(options: options).run()
    }

    @Test func removesExactlyTheHiddenBytesAndTheMergedFilesystemIsTheSame() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (layers, hidden) = Self.wastefulImage()
        let input = try fixture.writeLayout("in", images: [layers])
        let output = fixture.path("out")
        let report = try await rewrite(input, output)
        #expect(report.totals.bytesSaved == ["hidden": hidden])
        #expect(report.reclaimHidden)
        #expect(try MergedFilesystem.of(output) == (try MergedFilesystem.of(input)))
        // Layer 1 changes (its scratch file is hidden above), so its whiteout of etc/big.bin, which hides nothing any
        // more, goes; the opaque marker stays (layer 0's srv/data directory is kept). Layer 2 hides but holds nothing
        // hidden: it keeps its digest, whiteout included.
        let upper = try LayoutFixture.listLayer(output, digest: report.images[0].layers[1].blob.new, compression: .gzip)
        #expect(!upper.contains { $0.hasPrefix("etc/.wh.big.bin") })
        #expect(upper.contains { $0.hasPrefix("srv/data/.wh..wh..opq") })
        #expect(report.images[0].layers.count == 3, "the layer count stays")
        #expect(report.images[0].layers[2].unchanged)
        // Layers 0 and 1 changed for hidden files only: the report says what that costs a fleet sharing them.
        let unshared = report.images[0].layers.prefix(2).reduce(Int64(0)) { $0 + $1.compressedSize.new }
        #expect(report.unsharedByReclaim == UnsharedLayers(layers: 2, compressedBytes: unshared))
        #expect(report.renderTable().contains("note: --reclaim-hidden alone rewrote 2 layers ("))
        try LayoutFixture.checkLayout(output)
    }

    @Test func theAuditsHiddenFigureIsWhatReclaimSaves() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (layers, hidden) = Self.wastefulImage()
        let input = try fixture.writeLayout("in", images: [layers])
        let audit = try await ImageAuditor(
            input: input, variants: [.hiddenFiles], minimumLayerSaving: 0, jobs: 2
        ).run()
        let entry = try #require(audit.strategies.first)
        #expect(entry.name == "reclaim-hidden")
        #expect(entry.report.totals.bytesSaved["hidden"] == hidden)
        let rewritten = try await rewrite(input, fixture.path("out"), strategy: .dedup)
        #expect(rewritten.totals.compressedSize.new == entry.report.totals.compressedSize.new)
    }

    @Test func keptLayersStayByteIdentical() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (layers, _) = Self.wastefulImage()
        let input = try fixture.writeLayout("in", images: [layers])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, keepLayers: 1)
        #expect(report.images[0].layers[0].unchanged)
        #expect(report.images[0].layers[0].blob.old == report.images[0].layers[0].blob.new)
        #expect(try MergedFilesystem.of(output) == (try MergedFilesystem.of(input)))
        // Layer 0 still holds big.bin, so layer 1's whiteout must stay.
        let upper = try LayoutFixture.listLayer(output, digest: report.images[0].layers[1].blob.new, compression: .gzip)
        #expect(upper.contains { $0.hasPrefix("etc/.wh.big.bin") })
    }

    @Test func keepLayersOfABaseImageKeepsTheLayersTheyShare() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (layers, _) = Self.wastefulImage()
        let base = try fixture.writeLayout("base", images: [Array(layers.prefix(2))])
        let input = try fixture.writeLayout("in", images: [layers])
        var options = RewriteOptions(input: input, output: fixture.path("out"), strategy: .dedup, minimumLayerSaving: 0)
        options.reclaimHidden = true
        options.keepLayersOf = "oci:\(base)"
        let report = try await ImageRewriter(options: options).run()
        #expect(report.images[0].layers.prefix(2).allSatisfy { $0.unchanged })
    }

    /// `--keep-layers-of` is read before any layer of the input: a base of several images is refused first (here
    /// before a broken layer is scanned), leaving no output.
    @Test func aBaseOfSeveralImagesIsRefusedBeforeTheScan() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (layers, _) = Self.wastefulImage()
        let base = try fixture.writeLayout("base", images: [Array(layers.prefix(1)), Array(layers.prefix(2))])
        let input = try fixture.writeLayout("in", images: [layers])
        let manifest = try LayoutFixture.document(input, ReferrerTests.digest(ReferrerTests.entries(input).first))
        let layer = try ReferrerTests.digest(manifest["layers"]?.arrayValue?.last)
        try Data("not a layer".utf8).write(to: URL(fileURLWithPath: "\(input)/blobs/sha256/\(layer.encoded)"))
        var options = RewriteOptions(input: input, output: fixture.path("out"), strategy: .dedup)
        options.reclaimHidden = true
        options.keepLayersOf = "oci:\(base)"
        await #expect(throws: ReferenceError.baseNeedsOneImage(reference: "oci:\(base)", count: 2)) {
            _ = try await ImageRewriter(options: options).run()
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.path("out")))
    }

    @Test func underTheMinimumSavingALayerKeepsItsDigest() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (layers, _) = Self.wastefulImage()
        let input = try fixture.writeLayout("in", images: [layers])
        let report = try await rewrite(input, fixture.path("out"), minimum: 1 << 20)
        #expect(report.images[0].layers.allSatisfy { $0.unchanged })
    }

    @Test func aHiddenHardlinkTargetSurvivesUnderItsLink() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let data = LayoutFixture.noise(count: 10_000, seed: 9)
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: [.file("a/target", data), .hardlink("a/link", to: "a/target")]),
                    FixtureLayer(entries: [.file("a/.wh.target", [])]),
                ]
            ])
        let output = fixture.path("out")
        _ = try await rewrite(input, output)
        #expect(try MergedFilesystem.of(output) == (try MergedFilesystem.of(input)))
        #expect(try MergedFilesystem.of(output)["a/link"]?.content == data)
    }
}
