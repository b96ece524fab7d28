import ByteIO
import Codecs
import Foundation
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// `--compression` and `--compression-level`: layers written with another codec, media types, digests, refusals,
/// and output that does not depend on the thread count.
@Suite struct CompressionTests {
    /// A codec change: the compression of the input's layers and the one asked for.
    struct Conversion: Sendable, CustomTestStringConvertible {
        let from: Compression
        let to: Compression
        var target: Compression { Compression(rawValue: to.rawValue) ?? .uncompressed }
        var testDescription: String { "\(from.rawValue) → \(to.rawValue)" }
    }

    static let conversions = [
        Conversion(from: .gzip, to: .zstd), Conversion(from: .zstd, to: .gzip),
        Conversion(from: .gzip, to: .uncompressed), Conversion(from: .uncompressed, to: .gzip),
    ]

    /// Two layers without Python: nothing for any strategy to change.
    static func plainEntries() -> [[FixtureEntry]] {
        [
            [.directory("etc"), .text("etc/os-release", "ID=test\n"), .file("srv/blob.bin", Array(0..<200))],
            [.text("srv/data.txt", String(repeating: "data\n", count: 1000))],
        ]
    }

    private func rewrite(
        _ input: String, _ output: String, strategy: Strategy = .dedup, compression: OutputCompression,
        level: Int32? = nil, jobs: Int = 2
    ) async throws -> RewriteReport {
        try await ImageRewriter(
            options: RewriteOptions(
                input: input, output: output, strategy: strategy, compression: compression, compressionLevel: level,
                jobs: jobs
            )
        ).run()
    }

    /// The layer descriptors of the first image's manifest in a layout.
    private func layerDescriptors(_ layout: String) throws -> [JSONValue] {
        let index = try LayoutFixture.document(layout)
        let manifest = try #require(index["manifests"]?.arrayValue?.first?["digest"]?.stringValue)
        return try #require(try LayoutFixture.document(layout, Digest(parsing: manifest))["layers"]?.arrayValue)
    }

    // MARK: Compression changes alone

    @Test(arguments: conversions)
    func aCodecChangeAloneKeepsTheTarAndItsDiffID(conversion: Conversion) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let entries = Self.plainEntries()
        let input = try fixture.writeLayout(
            "in", images: [entries.map { FixtureLayer(entries: $0, compression: conversion.from) }]
        )
        let output = fixture.path("out")
        let report = try await rewrite(input, output, compression: .codec(conversion.to))
        try LayoutFixture.checkLayout(output)

        let image = try #require(report.images.first)
        // Same tars, so the same diff_ids: the config is copied byte for byte, only the manifest changes.
        #expect(image.config.old == image.config.new)
        #expect(image.manifest.old != image.manifest.new)
        #expect(report.totals.layersRewritten == 2 && report.totals.layersRecompressed == 2)
        let descriptors = try layerDescriptors(output)
        for (index, layer) in image.layers.enumerated() {
            #expect(!layer.unchanged)
            #expect(layer.compression == CompressionChange(old: conversion.from, new: conversion.target))
            #expect(layer.diffID.old == layer.diffID.new)
            #expect(layer.blob.newMediaType == LayoutFixture.layerType(conversion.target))
            #expect(descriptors[index]["mediaType"]?.stringValue == LayoutFixture.layerType(conversion.target))
            #expect(descriptors[index]["digest"]?.stringValue == layer.blob.new.description)
            let tar = try LayoutFixture.tarBytes(output, digest: layer.blob.new, compression: conversion.target)
            #expect(tar == (try LayoutFixture.tar(entries[index])), "layer \(index): the same tar, byte for byte")
            let blob = try Data(contentsOf: URL(fileURLWithPath: "\(output)/blobs/sha256/\(layer.blob.new.encoded)"))
            #expect(Compression.sniff(Array(blob.prefix(4))) == conversion.to)
        }
        // The old layer blobs are not in the output.
        for layer in image.layers {
            #expect(!FileManager.default.fileExists(atPath: "\(output)/blobs/sha256/\(layer.blob.old.encoded)"))
        }
    }

    @Test(arguments: conversions)
    func aCodecChangeWithPythonChanges(conversion: Conversion) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try RewriteTests.pythonImage()
        let plain = Self.plainEntries()[1]
        let layers = [python[0].entries, python[1].entries, plain].map {
            FixtureLayer(entries: $0, compression: conversion.from)
        }
        let input = try fixture.writeLayout("in", images: [layers])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, strategy: .dropBytecode, compression: .codec(conversion.to))
        try LayoutFixture.checkLayout(output)

        let image = try #require(report.images.first)
        let descriptors = try layerDescriptors(output)
        for (index, layer) in image.layers.enumerated() {
            #expect(layer.compression == CompressionChange(old: conversion.from, new: conversion.target))
            #expect(descriptors[index]["mediaType"]?.stringValue == LayoutFixture.layerType(conversion.target))
        }
        // The Python layers changed, and so did their diff_ids; the plain one only changed codec.
        #expect(image.layers[0].diffID.old != image.layers[0].diffID.new)
        #expect(image.layers[1].diffID.old != image.layers[1].diffID.new)
        #expect(image.layers[2].diffID.old == image.layers[2].diffID.new)
        #expect(
            try LayoutFixture.tarBytes(output, digest: image.layers[2].blob.new, compression: conversion.target)
                == LayoutFixture.tar(plain))
        let listing = try LayoutFixture.listLayer(
            output, digest: image.layers[0].blob.new, compression: conversion.target
        )
        #expect(listing.contains("usr/lib/python3.11/__pycache__/__dont_write_bytecode__ regular 0"))
        #expect(!listing.contains { $0.hasSuffix(".pyc") || $0.contains(".pyc ") })
        let config = try LayoutFixture.document(output, image.config.new)
        #expect(
            config["rootfs"]?["diff_ids"]?.arrayValue?.compactMap(\.stringValue)
                == image.layers.map(\.diffID.new.description))
    }

    @Test(arguments: [Compression.gzip, .zstd, .uncompressed])
    func anExplicitCodecALayerAlreadyHasKeepsItsBlob(codec: Compression) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let compression = Compression(rawValue: codec.rawValue) ?? .uncompressed
        let input = try fixture.writeLayout(
            "in", images: [Self.plainEntries().map { FixtureLayer(entries: $0, compression: compression) }]
        )
        let report = try await rewrite(input, fixture.path("out"), compression: .codec(codec))
        #expect(try LayoutFixture.files(under: fixture.path("out")) == LayoutFixture.files(under: input))
        #expect(report.totals.layersRewritten == 0 && report.rewrittenBlobs.isEmpty)
    }

    @Test func onlyTheLayersInAnotherCodecAreRecompressed() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let entries = Self.plainEntries()
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: entries[0], compression: .zstd),
                    FixtureLayer(entries: entries[1], compression: .gzip),
                ]
            ])
        let report = try await rewrite(input, fixture.path("out"), compression: .codec(.zstd))
        let image = try #require(report.images.first)
        #expect(image.layers[0].unchanged && image.layers[0].blob.old == image.layers[0].blob.new)
        #expect(!image.layers[1].unchanged && image.layers[1].compression.new == .zstd)
        #expect(report.totals.layersRecompressed == 1)
    }

    @Test func keepWritesEachChangedLayerInItsOwnCodec() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        let report = try await rewrite(input, fixture.path("out"), strategy: .dropBytecode, compression: .keep)
        let image = try #require(report.images.first)
        #expect(image.layers.map(\.compression.new) == [.gzip, .zstd, .uncompressed])
        #expect(image.layers.map(\.compression.old) == image.layers.map(\.compression.new))
        #expect(image.layers.allSatisfy { $0.blob.newMediaType == nil })
        #expect(report.totals.layersRecompressed == 0)
    }

    @Test func theLevelIsTheOneAskedFor() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let data = LayoutFixture.text(count: 1 << 20, seed: 5)
        let input = try fixture.writeLayout("in", images: [[FixtureLayer(entries: [.file("srv/log", data)])]])
        let fast = try await rewrite(input, fixture.path("fast"), compression: .codec(.zstd), level: 1)
        let strong = try await rewrite(input, fixture.path("strong"), compression: .codec(.zstd), level: 19)
        let fastLayer = try #require(fast.images.first?.layers.first)
        let strongLayer = try #require(strong.images.first?.layers.first)
        #expect(strongLayer.compressedSize.new < fastLayer.compressedSize.new)
        #expect(strongLayer.diffID.new == fastLayer.diffID.new)
        #expect(strong.compressionLevel == 19)
        // The blob is what libzstd writes at that level, whatever wrote the input.
        let expected = try Self.zstd(LayoutFixture.tar([.file("srv/log", data)]), level: 19)
        let blob = try Data(
            contentsOf: URL(fileURLWithPath: fixture.path("strong") + "/blobs/sha256/" + strongLayer.blob.new.encoded)
        )
        #expect(Array(blob) == expected)
    }

    /// `bytes` compressed by libzstd at `level`, in one piece.
    static func zstd(_ bytes: [UInt8], level: Int32) throws -> [UInt8] {
        let sink = MemorySink()
        let compressor = try ZstdCompressor(level: level, threads: 1, downstream: sink)
        try compressor.write(bytes)
        try compressor.finish()
        return sink.bytes
    }

    // MARK: Media types

    @Test(arguments: [
        (Compression.gzip, Compression.uncompressed, MediaType.dockerLayer),
        (.uncompressed, .gzip, MediaType.dockerLayerGzip),
    ])
    func dockerSchema2LayersKeepDockerMediaTypes(from: Compression, to: Compression, mediaType: String) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout(
            "in", images: [Self.plainEntries().map { FixtureLayer(entries: $0, compression: from) }], docker: true
        )
        let output = fixture.path("out")
        let report = try await rewrite(input, output, compression: .codec(to))
        try LayoutFixture.checkLayout(output)
        #expect(try layerDescriptors(output).map { $0["mediaType"]?.stringValue } == [mediaType, mediaType])
        #expect(report.images.first?.manifest.mediaType == MediaType.dockerManifest)
    }

    @Test func dockerSchema2WithZstdIsRefusedBeforeAnyWork() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout(
            "in", images: [Self.plainEntries().map { FixtureLayer(entries: $0) }], docker: true
        )
        let manifest = try #require(
            try LayoutFixture.document(input)["manifests"]?.arrayValue?.first?["digest"]?.stringValue
        )
        let progress = RecordedProgress()
        let thrown = await #expect(throws: CompressionError.self) {
            try await ImageRewriter(
                options: RewriteOptions(
                    input: input, output: fixture.path("out"), strategy: .dedup, compression: .codec(.zstd),
                    progress: progress
                )
            ).run()
        }
        #expect(progress.steps.isEmpty, "no layer was scanned")
        #expect(
            "\(try #require(thrown))" == """
                manifest \(manifest) (image tag0 linux/arch0) is Docker schema 2 \
                (application/vnd.docker.distribution.manifest.v2+json), which has no zstd layer media type; convert the \
                image to OCI first (skopeo copy --format oci) or choose another --compression
                """)
        #expect(!FileManager.default.fileExists(atPath: fixture.path("out")))
        // audit refuses it too: it would show sizes no rewrite can write.
        await #expect(throws: CompressionError.self) {
            try await ImageAuditor(input: input, compression: .codec(.zstd)).run()
        }
    }

    @Test func anOCIManifestWithDockerLayerTypesGetsOCIsZstdType() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout(
            "in", images: [[FixtureLayer(entries: Self.plainEntries()[0], mediaType: MediaType.dockerLayerGzip)]]
        )
        let output = fixture.path("out")
        _ = try await rewrite(input, output, compression: .codec(.zstd))
        try LayoutFixture.checkLayout(output)
        #expect(try layerDescriptors(output).first?["mediaType"]?.stringValue == MediaType.ociLayerZstd)
    }

    @Test func nonDistributableLayersKeepTheirCompression() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let entries = Self.plainEntries()
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: entries[0], mediaType: MediaType.ociNondistributableLayerGzip),
                    FixtureLayer(entries: entries[1]),
                ]
            ])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, compression: .codec(.zstd))
        try LayoutFixture.checkLayout(output)
        let image = try #require(report.images.first)
        #expect(image.layers[0].unchanged && image.layers[0].compression.new == .gzip)
        #expect(image.layers[1].compression.new == .zstd)
        #expect(
            try layerDescriptors(output).map { $0["mediaType"]?.stringValue }
                == [MediaType.ociNondistributableLayerGzip, MediaType.ociLayerZstd])
        #expect(
            report.warnings == [
                "layer \(image.layers[0].blob.old) is non-distributable: it keeps its gzip compression"
            ])
    }

    @Test func mediaTypesForEachCompression() {
        let oci = [MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd]
        let nondistributable = [
            MediaType.ociNondistributableLayer, MediaType.ociNondistributableLayerGzip,
            MediaType.ociNondistributableLayerZstd,
        ]
        let compressions: [Compression] = [.uncompressed, .gzip, .zstd]
        for (family, types) in [("oci", oci), ("nondistributable", nondistributable)] {
            for type in types {
                #expect(compressions.map { MediaType.layerType(type, compressed: $0) } == types, "\(family)")
            }
        }
        for type in [MediaType.dockerLayer, MediaType.dockerLayerGzip] {
            #expect(MediaType.layerType(type, compressed: .uncompressed) == MediaType.dockerLayer)
            #expect(MediaType.layerType(type, compressed: .gzip) == MediaType.dockerLayerGzip)
            #expect(MediaType.layerType(type, compressed: .zstd) == nil)
        }
        let foreign = MediaType.dockerForeignLayerGzip
        #expect(MediaType.layerType(foreign, compressed: .gzip) == foreign)
        #expect(MediaType.layerType(foreign, compressed: .zstd) == nil)
        #expect(MediaType.layerType("application/vnd.in-toto+json", compressed: .gzip) == nil)
        #expect(MediaType.layerCompression(MediaType.dockerLayer) == .uncompressed)
    }

    // MARK: Levels

    @Test func aLevelTheCodecDoesNotAcceptIsRefused() throws {
        let levels = try #require(Compression.gzip.levels)
        let tooHigh = levels.upperBound + 1
        let thrown = #expect(throws: CompressionError.self) { try OutputCompression.codec(.gzip).check(level: tooHigh) }
        #expect(
            "\(try #require(thrown))"
                == "compression level \(tooHigh) is not a gzip level (\(levels.lowerBound) to \(levels.upperBound))")
        #expect(throws: Never.self) { try OutputCompression.codec(.gzip).check(level: levels.upperBound) }
        let none = #expect(throws: CompressionError.self) { try OutputCompression.codec(.uncompressed).check(level: 3) }
        #expect(
            "\(try #require(none))"
                == "compression level 3 given with --compression none: uncompressed layers have no level")
    }

    @Test func keepChecksTheLevelAgainstEveryCodecOfTheImage() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let gzipLevels = try #require(Compression.gzip.levels)
        let zstdLevels = try #require(Compression.zstd.levels)
        // A level zstd accepts and gzip does not.
        let level = gzipLevels.upperBound + 1
        try #require(zstdLevels.contains(level))
        let entries = Self.plainEntries()
        let mixed = try fixture.writeLayout(
            "mixed",
            images: [
                [
                    FixtureLayer(entries: entries[0], compression: .zstd),
                    FixtureLayer(entries: entries[1], compression: .gzip),
                ]
            ])
        let gzipLayer = try #require(try layerDescriptors(mixed)[1]["digest"]?.stringValue)
        let thrown = await #expect(throws: CompressionError.self) {
            try await rewrite(mixed, fixture.path("out"), compression: .keep, level: level)
        }
        #expect(
            "\(try #require(thrown))" == "compression level \(level) is not a gzip level "
                + "(\(gzipLevels.lowerBound) to \(gzipLevels.upperBound)); layer \(gzipLayer) keeps its gzip compression"
        )
        #expect(!FileManager.default.fileExists(atPath: fixture.path("out")))

        // The same level suits an image whose layers are all zstd (or uncompressed).
        let zstdOnly = try fixture.writeLayout(
            "zstd",
            images: [
                [
                    FixtureLayer(entries: entries[0], compression: .zstd),
                    FixtureLayer(entries: entries[1], compression: .uncompressed),
                ]
            ])
        _ = try await rewrite(zstdOnly, fixture.path("out2"), compression: .keep, level: level)
    }

    // MARK: Report

    @Test func theReportShowsTheCodecChange() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [Self.plainEntries().map { FixtureLayer(entries: $0) }])
        let report = try await rewrite(input, fixture.path("out"), compression: .codec(.zstd), level: 7)
        let table = report.renderTable()
        #expect(table.hasPrefix("ocislim rewrite --strategy dedup --compression zstd --compression-level 7: "))
        #expect(table.contains("  codec  "))
        // The old codec on a layer's first row, the new one under it.
        let rows = table.split(separator: "\n")
        let first = try #require(rows.firstIndex { $0.hasPrefix("0 ") })
        #expect(rows[first].contains("  gzip  ") && rows[first + 1].contains("→ zstd"), "\(table)")
        #expect(table.contains("total: 2 of 2 layers rewritten (2 recompressed); "))

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try JSONValue.parse(Array(try encoder.encode(report)), what: "report")
        #expect(json["compression"] == .string("zstd"))
        #expect(json["compressionLevel"] == .integer(7))
        let layer = try #require(json["images"]?.arrayValue?.first?["layers"]?.arrayValue?.first)
        #expect(layer["compression"] == .object(["old": .string("gzip"), "new": .string("zstd")]))
        #expect(layer["mediaType"] == .string(MediaType.ociLayerGzip))
        #expect(layer["blob"]?["newMediaType"] == .string(MediaType.ociLayerZstd))
        let rewrittenBlobs = try #require(json["rewrittenBlobs"]?.arrayValue)
        #expect(rewrittenBlobs.contains { $0["newMediaType"] == .string(MediaType.ociLayerZstd) })

        let kept = try await rewrite(input, fixture.path("kept"), compression: .keep)
        #expect(kept.renderTable().hasPrefix("ocislim rewrite --strategy dedup: "))
    }

    /// The text report fits in 120 columns (the first line, which names the paths, aside): old and new values are
    /// stacked on two rows, and the categories saved one a row.
    @Test func theTableFitsIn120Columns() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        for strategy in [Strategy.dedup, .dropBytecode, .sourceless] {
            let report = try await rewrite(
                input, fixture.path("out-\(strategy)"), strategy: strategy, compression: .codec(.zstd)
            )
            let rows = report.renderTable().split(separator: "\n").dropFirst()
            #expect(rows.allSatisfy { $0.count <= 120 }, "\(rows.filter { $0.count > 120 })")
            #expect(rows.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("→ ") }, "\(strategy)")
        }
    }

    /// On a terminal (or with `COLUMNS`) of 80 or 120 columns, every line of the rewrite and audit reports fits:
    /// changes are stacked, then columns split into bands; the lines naming the image paths wrap at spaces.
    @Test(arguments: [80, 120])
    func theReportsFitTheTerminal(width: Int) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        for strategy in [Strategy.dedup, .sourceless] {
            let report = try await rewrite(
                input, fixture.path("out-\(strategy)-\(width)"), strategy: strategy, compression: .codec(.zstd))
            let lines = report.renderTable(width: width).split(separator: "\n")
            #expect(lines.allSatisfy { $0.count <= width }, "\(lines.filter { $0.count > width })")
        }
        let audit = try await ImageAuditor(input: input, compression: .codec(.zstd)).run()
        let lines = audit.renderTable(width: width).split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= width }, "\(lines.filter { $0.count > width })")
        #expect(lines.contains { $0.contains("layer") })
    }

    @Test func auditWithACodecPredictsTheRewrite() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        let audit = try await ImageAuditor(
            input: input, variants: [StrategyVariant(strategy: .dropBytecode)], compression: .codec(.zstd)
        ).run()
        let rewritten = try await rewrite(
            input, fixture.path("out"), strategy: .dropBytecode, compression: .codec(.zstd)
        )
        let predicted = try #require(audit.strategies.first?.report)
        #expect(predicted.images.map(\.manifest.new) == rewritten.images.map(\.manifest.new))
        #expect(predicted.images.first?.layers.map(\.compression.new) == [.zstd, .zstd, .zstd])
        #expect(
            audit.renderTable().hasPrefix(
                "Size impact of each strategy on \(input) (what `ocislim rewrite --compression zstd` would write)"
            ))
    }

    // MARK: Determinism across thread counts

    /// An image big enough that both codecs cut it into many pieces: a 24 MiB layer of text and noise (three
    /// 8 MiB zstd jobs at level 3, many gzip blocks) with Python to change, and a small layer with none.
    static func bigImage(_ compression: Compression) throws -> [FixtureLayer] {
        var big = try RewriteTests.pythonImage()[0].entries
        for part in 0..<6 {
            big.append(.file("srv/text-\(part).log", LayoutFixture.text(count: 2 << 20, seed: UInt64(part + 1))))
            big.append(.file("srv/noise-\(part).bin", LayoutFixture.noise(count: 2 << 20, seed: UInt64(part + 11))))
        }
        return [
            FixtureLayer(entries: big, compression: compression),
            FixtureLayer(entries: Self.plainEntries()[1], compression: compression),
        ]
    }

    @Test(arguments: [Conversion(from: .gzip, to: .zstd), Conversion(from: .zstd, to: .gzip)])
    func theOutputIsTheSameWithOneJobOrSixteen(conversion: Conversion) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.bigImage(conversion.from)])
        let one = try await rewrite(
            input, fixture.path("one"), strategy: .dropBytecode, compression: .codec(conversion.to), jobs: 1
        )
        _ = try await rewrite(
            input, fixture.path("sixteen"), strategy: .dropBytecode, compression: .codec(conversion.to), jobs: 16
        )
        let layers = try #require(one.images.first?.layers)
        #expect(layers.map(\.compression.new) == [conversion.target, conversion.target])
        #expect(layers[0].uncompressedSize.new > 24 << 20)
        let sixteen = try LayoutFixture.files(under: fixture.path("sixteen"))
        #expect(try LayoutFixture.files(under: fixture.path("one")) == sixteen)
    }
}

/// Lines collected from concurrent tasks.
/// The steps a run reported, in order.
final class RecordedProgress: ProgressReporter, @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var started: [ProgressStep] = []

    func started(_ step: ProgressStep) { lock.withLock { started.append(step) } }
    func read(_ bytes: Int64, of blob: Digest) {}
    func finished(_ step: ProgressStep) {}
    var steps: [ProgressStep] { lock.withLock { started } }
}

final class Lines: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var lines: [String] = []

    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
