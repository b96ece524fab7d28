import Foundation
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// End-to-end rewrites of layouts built in code.
@Suite struct RewriteTests {
    static let pyc = Result { try LayoutFixture.compile("X = 1\n") }
    static let pycOptimized = Result { try LayoutFixture.compile("X = 1\n", optimize: 2) }

    /// A small Python image: a stdlib-like tree with plain and optimized bytecode, and a venv layer.
    static func pythonImage() throws -> [FixtureLayer] {
        let plain = try pyc.get()
        let optimized = try pycOptimized.get()
        return [
            FixtureLayer(entries: [
                .directory("usr/lib/python3.11"),
                .text("usr/lib/python3.11/m.py", "X = 1\n"),
                .directory("usr/lib/python3.11/__pycache__"),
                .file("usr/lib/python3.11/__pycache__/m.cpython-311.pyc", plain),
                .file("usr/lib/python3.11/__pycache__/m.cpython-311.opt-1.pyc", plain, mtime: 1_700_000_001),
                .file("usr/lib/python3.11/__pycache__/m.cpython-311.opt-2.pyc", optimized),
                .text("etc/motd", "hello\n"),
                .symlink("usr/bin/python3", to: "python3.11"),
            ]),
            FixtureLayer(
                entries: [
                    .directory("opt/venv/lib/python3.11/site-packages/pkg"),
                    .text("opt/venv/lib/python3.11/site-packages/pkg/__init__.py", "X = 1\n"),
                    .file("opt/venv/lib/python3.11/site-packages/pkg/__pycache__/__init__.cpython-311.pyc", plain),
                ], compression: .zstd),
            FixtureLayer(entries: [.text("app/README", "no python here\n")], compression: .uncompressed),
        ]
    }

    private func rewrite(_ input: String, _ output: String, _ strategy: Strategy) async throws -> RewriteReport {
        try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: strategy, jobs: 2))
            .run()
    }

    @Test(arguments: Strategy.allCases)
    func imageWithoutPythonComesOutByteIdentical(strategy: Strategy) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: [.directory("etc"), .text("etc/os-release", "ID=test\n")]),
                    FixtureLayer(
                        entries: [.text("srv/data.txt", "data\n"), .text("srv/copy.txt", "data\n")], compression: .zstd),
                ]
            ])
        let report = try await rewrite(input, fixture.path("out"), strategy)
        #expect(try LayoutFixture.files(under: fixture.path("out")) == LayoutFixture.files(under: input))
        #expect(report.totals.layersRewritten == 0)
        #expect(report.rewrittenBlobs.isEmpty)
    }

    /// A minimal Debian-like image with gcc's GDB pretty-printers (stray `.py` files and their bytecode) and no
    /// interpreter: every strategy leaves it byte-identical, config included, and says so in one line.
    @Test(arguments: Strategy.allCases)
    func strayPythonFilesWithoutAnInterpreterComeOutByteIdentical(strategy: Strategy) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let gdb = "usr/share/gdb/auto-load/usr/lib/x86_64-linux-gnu/"
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: [
                        .text("etc/os-release", "ID=debian\n"),
                        .text(gdb + "libstdc++.so.6.0.30-gdb.py", "X = 1\n"),
                        .text("usr/share/gcc/python/libstdcxx/v6/printers.py", "X = 1\n"),
                        .text("usr/share/gcc/python/libstdcxx/v6/printers2.py", "X = 1\n"),
                    ])
                ]
            ])
        let report = try await rewrite(input, fixture.path("out"), strategy)
        #expect(try LayoutFixture.files(under: fixture.path("out")) == LayoutFixture.files(under: input))
        #expect(report.nothingToDo == "no Python interpreter found; nothing to do")
        #expect(
            report.renderTable()
                == "ocislim rewrite --strategy \(strategy.rawValue): \(input) → \(fixture.path("out")): no Python "
                + "interpreter found; nothing to do (the output is the input, byte for byte)")
        let audit = try await ImageAuditor(input: input, jobs: 2).run()
        #expect(
            audit.renderTable()
                == "\(input): no Python interpreter found; nothing to do (no strategy would change the image)")
    }

    @Test(arguments: Strategy.allCases)
    func twoRunsGiveByteIdenticalOutput(strategy: Strategy) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.pythonImage()])
        _ = try await rewrite(input, fixture.path("a"), strategy)
        _ = try await ImageRewriter(
            options: RewriteOptions(input: input, output: fixture.path("b"), strategy: strategy, jobs: 1)
        ).run()
        #expect(try LayoutFixture.files(under: fixture.path("a")) == LayoutFixture.files(under: fixture.path("b")))
    }

    @Test func inputIsNeverModified() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.pythonImage()])
        let before = try LayoutFixture.files(under: input)
        _ = try await rewrite(input, fixture.path("out"), .dropBytecode)
        #expect(try LayoutFixture.files(under: input) == before)
    }

    @Test func dropBytecodeRemovesPycsAddsMarkersAndEnv() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.pythonImage()])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, .dropBytecode)
        let image = try #require(report.images.first)
        #expect(image.environmentAdded == ["PYTHONDONTWRITEBYTECODE=1"])
        let layer0 = try LayoutFixture.listLayer(output, digest: image.layers[0].blob.new, compression: .gzip)
        #expect(!layer0.contains { $0.contains(".pyc") })
        #expect(layer0.contains("usr/lib/python3.11/__pycache__/__dont_write_bytecode__ regular 0"))
        #expect(layer0.contains("usr/lib/python3.11/m.py regular 6"))
        let layer1 = try LayoutFixture.listLayer(output, digest: image.layers[1].blob.new, compression: .zstd)
        #expect(
            layer1.contains("opt/venv/lib/python3.11/site-packages/pkg/__pycache__/__dont_write_bytecode__ regular 0"))
        // The third layer has no Python: same blob, same digest.
        #expect(image.layers[2].unchanged && image.layers[2].blob.old == image.layers[2].blob.new)

        let config = try configJSON(output, image.config.new)
        #expect(config["config"]?["Env"] == .array([.string("PATH=/usr/bin"), .string("PYTHONDONTWRITEBYTECODE=1")]))
        // Unknown fields, history and the layers' diff_ids survive the patch.
        #expect(config["x-vendor"] == .object(["keep": .string("me")]))
        #expect(config["config"]?["X-Unknown"] == .integer(7))
        #expect(config["history"] == .array([.object(["created_by": .string("fixture"), "empty_layer": .bool(true)])]))
        #expect(
            config["rootfs"]?["diff_ids"]?.arrayValue?.compactMap(\.stringValue)
                == image.layers.map(\.diffID.new.description))
    }

    @Test func dropBytecodeKeepsAnExistingEnvSetting() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout(
            "in", images: [try Self.pythonImage()], env: ["PYTHONDONTWRITEBYTECODE=yes"])
        let report = try await rewrite(input, fixture.path("out"), .dropBytecode)
        let image = try #require(report.images.first)
        #expect(image.environmentAdded.isEmpty)
        #expect(
            try configJSON(fixture.path("out"), image.config.new)["config"]?["Env"]
                == .array([.string("PYTHONDONTWRITEBYTECODE=yes")]))
    }

    @Test func dropOptimizedRemovesOnlyOptimizedBytecode() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.pythonImage()])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, .dropOptimized)
        let image = try #require(report.images.first)
        let layer0 = try LayoutFixture.listLayer(output, digest: image.layers[0].blob.new, compression: .gzip)
        #expect(
            layer0.filter { $0.contains(".pyc") } == [
                "usr/lib/python3.11/__pycache__/m.cpython-311.pyc regular \(try Self.pyc.get().count)"
            ])
        #expect(image.layers[1].unchanged)
        #expect(image.environmentAdded.isEmpty)
        #expect(image.layers[0].filesRemoved == 2)
    }

    @Test func dedupHardlinksIdenticalBytecode() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.pythonImage()])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, .dedup)
        let image = try #require(report.images.first)
        let layer0 = try LayoutFixture.listLayer(output, digest: image.layers[0].blob.new, compression: .gzip)
        // All optimization levels of a module without asserts or docstrings are identical (their entries' mtimes
        // differ: ignored for bytecode).
        for level in [1, 2] {
            #expect(
                layer0.contains(
                    "usr/lib/python3.11/__pycache__/m.cpython-311.opt-\(level).pyc hardlink 0 -> usr/lib/python3.11/__pycache__/m.cpython-311.pyc"
                ))
        }
        #expect(image.layers[0].filesHardlinked == 2)
        #expect(image.layers[0].bytesSaved["duplicates"] == 2 * Int64(try Self.pyc.get().count))
        // m.py and __init__.py are identical but in different layers: dedup works within a layer only.
        #expect(image.layers[1].unchanged)
    }

    @Test func aPycDeletedByAnUpperLayerStaysDeleted() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        var layers = try Self.pythonImage()
        layers.append(FixtureLayer(entries: [.text("usr/lib/python3.11/__pycache__/.wh.m.cpython-311.pyc", "")]))
        let input = try fixture.writeLayout("in", images: [layers])
        for strategy in Strategy.allCases {
            let output = fixture.path("out-\(strategy)")
            let report = try await rewrite(input, output, strategy)
            let image = try #require(report.images.first)
            let top = try LayoutFixture.listLayer(output, digest: image.layers[3].blob.new, compression: .gzip)
            #expect(top == ["usr/lib/python3.11/__pycache__/.wh.m.cpython-311.pyc regular 0"], "\(strategy)")
        }
    }

    @Test func droppingAFileALowerLayerKeepsAddsAWhiteout() async throws {
        // Layer 1 links to a lower opt-1 pyc, so layer 0 must keep it; layer 2's own copy is dropped and must hide
        // layer 0's copy with a whiteout instead of uncovering it.
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let plain = try Self.pyc.get()
        let lowerPath = "usr/lib/python3.11/__pycache__/m.cpython-311.opt-1.pyc"
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: [.file(lowerPath, plain)]),
                    FixtureLayer(entries: [.hardlink("usr/lib/python3.11/keep.bin", to: lowerPath)]),
                    FixtureLayer(entries: [.file(lowerPath, plain + [0])]),
                    .interpreter,
                ]
            ])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, .dropOptimized)
        let image = try #require(report.images.first)
        #expect(image.layers[0].unchanged && image.layers[1].unchanged)
        let top = try LayoutFixture.listLayer(output, digest: image.layers[2].blob.new, compression: .gzip)
        #expect(top == ["usr/lib/python3.11/__pycache__/.wh.m.cpython-311.opt-1.pyc regular 0"])
    }

    @Test func aDroppedHardlinkTargetIsWrittenUnderItsLinksName() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let plain = try Self.pyc.get()
        let directory = "usr/lib/python3.11/__pycache__/"
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: [
                        .file(directory + "m.cpython-311.opt-1.pyc", plain),
                        .hardlink(directory + "m.cpython-311.pyc", to: directory + "m.cpython-311.opt-1.pyc"),
                        .hardlink(directory + "m.cpython-311.opt-2.pyc", to: directory + "m.cpython-311.opt-1.pyc"),
                        .hardlink("usr/lib/python3.11/other.bin", to: directory + "m.cpython-311.opt-1.pyc"),
                    ]),
                    .interpreter,
                ]
            ])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, .dropOptimized)
        let image = try #require(report.images.first)
        let layer = try LayoutFixture.listLayer(output, digest: image.layers[0].blob.new, compression: .gzip)
        #expect(
            layer == [
                "\(directory)m.cpython-311.pyc regular \(plain.count)",
                "usr/lib/python3.11/other.bin hardlink 0 -> \(directory)m.cpython-311.pyc",
            ])
    }

    @Test func multiPlatformNestedIndexIsRewrittenWhole() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try Self.pythonImage()
        let input = try fixture.writeLayout("in", images: [python, [python[0]]], nested: true)
        let output = fixture.path("out")
        let report = try await rewrite(input, output, .dropOptimized)
        #expect(report.images.count == 2)
        #expect(report.images.map(\.name) == ["multi tag0 linux/arch0", "multi tag1 linux/arch1"])
        // The shared base layer is rewritten once: both images point at the same new blob.
        #expect(report.images[0].layers[0].blob.new == report.images[1].layers[0].blob.new)
        #expect(report.totals.layers == 3)
        let index = try JSONValue.parse(
            Array(try Data(contentsOf: URL(fileURLWithPath: output + "/index.json"))), what: "index")
        let nested = try #require(index["manifests"]?.arrayValue?.first)
        #expect(nested["annotations"]?["org.opencontainers.image.ref.name"] == .string("multi"))
        let nestedDigest = try Digest(parsing: try #require(nested["digest"]?.stringValue))
        let inner = try JSONValue.parse(
            Array(try Data(contentsOf: URL(fileURLWithPath: output + "/blobs/sha256/" + nestedDigest.encoded))),
            what: "inner")
        #expect(
            inner["manifests"]?.arrayValue?.compactMap { $0["digest"]?.stringValue }
                == report.images.map(\.manifest.new.description))
        #expect(inner["manifests"]?.arrayValue?.first?["platform"]?["architecture"] == .string("arch0"))
    }

    @Test func unknownDescriptorsAreCopiedByteIdentical() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let inputPath = fixture.path("in")
        try FileManager.default.createDirectory(atPath: inputPath + "/blobs/sha256", withIntermediateDirectories: true)
        let blob = Array(#"{"predicateType":"https://slsa.dev/provenance/v1"}"#.utf8)
        let digest = try fixture.writeBlob(blob, in: inputPath)
        let attestation = #"{"mediaType":"application/vnd.in-toto+json","digest":"\#(digest)","size":\#(blob.count)}"#
        let input = try fixture.writeLayout("in", images: [try Self.pythonImage()], extraIndexEntries: [attestation])
        let output = fixture.path("out")
        _ = try await rewrite(input, output, .dropBytecode)
        let copied = try Data(contentsOf: URL(fileURLWithPath: output + "/blobs/sha256/" + digest.dropFirst(7)))
        #expect(Array(copied) == blob)
        let index = String(decoding: try Data(contentsOf: URL(fileURLWithPath: output + "/index.json")), as: UTF8.self)
        #expect(index.contains(digest))
    }

    @Test func dockerSchema2MediaTypesAreRewritten() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [[try Self.pythonImage()[0]]], docker: true)
        let report = try await rewrite(input, fixture.path("out"), .dropOptimized)
        let image = try #require(report.images.first)
        #expect(image.layers[0].mediaType == MediaType.dockerLayerGzip)
        #expect(!image.layers[0].unchanged)
        #expect(image.manifest.mediaType == MediaType.dockerManifest)
    }

    private func configJSON(_ layout: String, _ digest: Digest) throws -> JSONValue {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(digest.encoded)"))
        return try JSONValue.parse(Array(bytes), what: "config")
    }
}
