import ByteIO
import Codecs
import Foundation
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// `sourceless` and `audit` on layouts built in code, with bytecode compiled by the host CPython.
@Suite struct SourcelessTests {
    static let source = "def double(x):\n    return 2 * x\n"
    static let library = "usr/lib/python3.11/"

    static func image() throws -> [FixtureLayer] {
        let tag = try LayoutFixture.hostCacheTag.get()
        let plain = try LayoutFixture.compile(source, path: "/" + library + "m.py")
        let optimized = try LayoutFixture.compile(source, optimize: 1, path: "/" + library + "m.py")
        let stale = try LayoutFixture.compile(source + "# edited\n", mtime: 1_600_000_000)
        return [
            FixtureLayer(entries: [
                .directory(library),
                .text(library + "m.py", source),
                .file(library + "__pycache__/m.\(tag).pyc", plain),
                .file(library + "__pycache__/m.\(tag).opt-1.pyc", optimized),
                .text(library + "stale.py", source),
                .file(library + "__pycache__/stale.\(tag).pyc", stale),
                .text("app/main.py", "import m\n"),
                .interpreter,
            ])
        ]
    }

    private func rewrite(_ input: String, _ output: String, _ options: SourcelessOptions) async throws -> RewriteReport
    {
        try await ImageRewriter(
            options: RewriteOptions(input: input, output: output, strategy: .sourceless, sourceless: options)
        ).run()
    }

    @Test func convertsValidBytecodeAndKeepsTheSourceCompressed() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.image()])
        let output = fixture.path("out")
        let report = try await rewrite(input, output, SourcelessOptions())
        let image = try #require(report.images.first)
        #expect(image.modules.converted == 1)
        #expect(image.modules.kept.keys.contains { $0.contains("stale") })
        #expect(image.modules.kept["not importable (outside Python trees)"] == 1)
        let listing = try LayoutFixture.listLayer(output, digest: image.layers[0].blob.new, compression: .gzip)
        let tag = try LayoutFixture.hostCacheTag.get()
        #expect(!listing.contains { $0.hasPrefix(Self.library + "m.py ") })
        #expect(!listing.contains { $0.contains("__pycache__/m.") })
        #expect(listing.contains { $0.hasPrefix(Self.library + "__pysources__/ directory") })
        #expect(listing.contains { $0.hasPrefix(Self.library + "stale.py regular") })
        #expect(listing.contains { $0.hasPrefix(Self.library + "__pycache__/stale.\(tag).pyc regular") })

        // The shipped bytecode is the compiled module, and it runs; the .zpy holds the exact source.
        let files = try layerFiles(output, image.layers[0].blob.new)
        let pyc = try #require(files[Self.library + "m.pyc"])
        #expect(pyc == (try LayoutFixture.compile(Self.source, path: "/" + Self.library + "m.py")))
        let zpy = try #require(files[Self.library + "__pysources__/m.zpy"])
        #expect(try gunzip(zpy) == Array(Self.source.utf8))
        let directory = fixture.path("run")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(pyc).write(to: URL(fileURLWithPath: directory + "/m.pyc"))
        let result = try LayoutFixture.run([
            "python3", "-c", "import sys; sys.path.insert(0, '\(directory)'); import m; print(m.double(21))",
        ])
        #expect(String(decoding: result, as: UTF8.self) == "42\n")
    }

    @Test func dropsSourcesWhenAsked() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.image()])
        let report = try await rewrite(input, fixture.path("out"), SourcelessOptions(keepSources: false))
        let image = try #require(report.images.first)
        let listing = try LayoutFixture.listLayer(
            fixture.path("out"), digest: image.layers[0].blob.new, compression: .gzip)
        #expect(!listing.contains { $0.contains("__pysources__") })
        #expect(listing.contains { $0.hasPrefix(Self.library + "m.pyc regular") })
    }

    /// The host CPython's minor version, e.g. "3.11".
    static let hostVersion = Result {
        String(
            decoding: try LayoutFixture.run([
                "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2], end='')",
            ]), as: UTF8.self)
    }

    @Test func compilesSourcesShippedWithoutBytecode() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let library = "usr/local/lib/python\(try Self.hostVersion.get())/"
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: [
                        .text(library + "m.py", Self.source),
                        .text(library + "broken.py", "def broken(:\n"),
                        .interpreter,
                    ])
                ]
            ])
        let output = fixture.path("out")
        let report = try await ImageRewriter(
            options: RewriteOptions(
                input: input, output: output, strategy: .sourceless, compileWith: "python3"
            )
        ).run()
        let image = try #require(report.images.first)
        #expect(image.modules.converted == 1 && image.modules.compiled == 1)
        #expect(image.modules.kept == ["no bytecode, and it does not compile": 1])
        let files = try layerFiles(output, image.layers[0].blob.new)
        // The same bytes py_compile writes for the module at its final path.
        #expect(files[library + "m.pyc"] == (try LayoutFixture.compile(Self.source, path: "/" + library + "m.py")))
        #expect(try gunzip(try #require(files[library + "__pysources__/m.zpy"])) == Array(Self.source.utf8))
        #expect(files[library + "broken.py"] != nil)
        #expect(files[library + "m.py"] == nil)
    }

    @Test func refusesACompilerOfAnotherVersion() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(entries: [
                        .text("usr/lib/python3.99/m.py", Self.source)
                    ])
                ]
            ])
        let output = fixture.path("out")
        await #expect {
            _ = try await ImageRewriter(
                options: RewriteOptions(
                    input: input, output: output, strategy: .sourceless, compileWith: "python3"
                )
            ).run()
        } throws: { error in
            "\(error)" == "--compile-with python3 is CPython \((try? Self.hostVersion.get()) ?? ""), but the image's "
                + "Python is 3.99: bytecode must come from the same minor version"
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func auditAgreesWithRewriteForEveryStrategy() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try Self.image(), try RewriteTests.pythonImage()])
        let before = try LayoutFixture.files(under: fixture.root)
        let audit = try await ImageAuditor(input: input).run()
        #expect(try LayoutFixture.files(under: fixture.root) == before, "audit writes nothing")
        #expect(
            audit.strategies.map(\.name) == [
                "dedup", "drop-optimized", "drop-bytecode", "sourceless", "sourceless --sources drop", "reclaim-hidden",
            ])
        // Why sources were kept is listed under each sourceless table, not squeezed into a size column.
        let table = audit.renderTable().split(separator: "\n")
        #expect(table.filter { $0.contains(": sources kept: ") }.count == 2, "\(table)")
        #expect(!table.contains { $0.split(separator: " ").dropFirst().first == "kept" }, "\(table)")
        for (index, variant) in ImageAuditor.allVariants.enumerated() {
            let output = fixture.path("out-\(index)")
            guard let strategy = variant.strategy else { continue }
            let rewritten = try await ImageRewriter(
                options: RewriteOptions(
                    input: input, output: output, strategy: strategy, sourceless: variant.sourceless)
            ).run()
            let audited = audit.strategies[index].report
            #expect(audited.totals.compressedSize.new == rewritten.totals.compressedSize.new, "\(variant.name)")
            #expect(audited.totals.uncompressedSize.new == rewritten.totals.uncompressedSize.new, "\(variant.name)")
            #expect(audited.images.map(\.manifest.new) == rewritten.images.map(\.manifest.new), "\(variant.name)")
            #expect(audited.rewrittenBlobs == rewritten.rewrittenBlobs, "\(variant.name)")
        }
    }

    /// Every regular file of an output layer, path → bytes.
    private func layerFiles(_ layout: String, _ digest: Digest) throws -> [String: [UInt8]] {
        let tar = try gunzip(
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(digest.encoded)"))))
        let program = """
            import io, sys, tarfile, json
            t = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
            print(json.dumps({m.name: t.extractfile(m).read().hex() for m in t.getmembers() if m.isreg()}))
            """
        let json = try LayoutFixture.run(["python3", "-c", program], input: tar)
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(json))
        return decoded.mapValues { hex in
            stride(from: 0, to: hex.count, by: 2).map {
                let start = hex.index(hex.startIndex, offsetBy: $0)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
            }
        }
    }

    private func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let source = try GzipDecompressor(upstream: MemorySource(bytes))
        return try source.readAll(limit: 1 << 30)
    }
}
