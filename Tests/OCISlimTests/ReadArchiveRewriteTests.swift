import Foundation
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// The pipeline rewrites an image read from an archive, in place by offset, as it rewrites a layout.
@Suite struct ReadArchiveRewriteTests {
    /// A one-layer Python image (a module and its optimized bytecode), uncompressed as `docker save` stores it.
    private func pythonImage() throws -> ArchiveFixtureImage {
        ArchiveFixtureImage(
            layers: [
                FixtureLayer(
                    entries: [
                        .text("usr/lib/python3.11/m.py", "X = 1\n"),
                        .file(
                            "usr/lib/python3.11/__pycache__/m.cpython-311.opt-1.pyc",
                            try LayoutFixture.compile("X = 1\n")),
                        .text("etc/motd", "hello\n"),
                        .interpreter,
                    ], compression: .uncompressed)
            ], repoTags: ["a/b:c"])
    }

    @Test(arguments: [ArchiveFixtures.Shape.legacy, .docker25, .skopeo])
    func aDockerArchiveIsRewrittenIntoALayout(_ shape: ArchiveFixtures.Shape) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let archive = try ArchiveFixtures.write(shape, images: [try pythonImage()], to: fixture.path("in.tar"))
        let output = fixture.path("out")
        let report = try await ImageRewriter(
            options: RewriteOptions(
                input: "docker-archive:\(archive)", output: "oci:\(output)", strategy: .dropBytecode, jobs: 2)
        ).run()
        #expect(report.totals.layersRewritten == 1)
        try LayoutFixture.checkLayout(output)
        let index = try LayoutFixture.document(output)
        let listed = try #require(index["manifests"]?.arrayValue?.first)
        #expect(listed["annotations"]?[Annotation.refName]?.stringValue == "c")
        let manifest = try LayoutFixture.document(output, try Digest(parsing: #require(listed["digest"]?.stringValue)))
        let layer = try #require(manifest["layers"]?.arrayValue?.first)
        let digest = try Digest(parsing: #require(layer["digest"]?.stringValue))
        let entries = try LayoutFixture.listLayer(output, digest: digest, compression: .uncompressed)
        #expect(!entries.contains { $0.contains(".pyc") })
        #expect(entries.contains { $0.hasPrefix("etc/motd") })
    }

    @Test func aTruncatedArchiveIsRefusedWithExitOne() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let archive = try ArchiveFixtures.write(.legacy, images: [try pythonImage()], to: fixture.path("in.tar"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: archive))
        let message = try await RefusedRewrite.message(fixture, input: archive)
        #expect(message.hasPrefix("\(archive): after "))
        #expect(message.hasSuffix(": the archive is truncated"))
    }
}

/// `docker-archive:FILE@N` and `docker-archive:FILE:NAME:TAG` select as `manifest.json` lists images, in every shape
/// (Docker 25+ lists an image once per tag in `index.json`).
@Suite struct ArchiveSelectionTests {
    static var images: [ArchiveFixtureImage] {
        [
            ArchiveFixtureImage(
                layers: [FixtureLayer(entries: [.text("a", "1\n")], compression: .uncompressed)],
                repoTags: ["app:1", "registry.example:5000/team/app:1"]),
            ArchiveFixtureImage(
                layers: [FixtureLayer(entries: [.text("b", "2\n")], compression: .uncompressed)], repoTags: ["other:2"]),
        ]
    }

    @Test(arguments: [ArchiveFixtures.Shape.legacy, .docker25, .skopeo])
    func aPositionCountsImagesAsManifestJSONDoes(_ shape: ArchiveFixtures.Shape) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let archive = try ArchiveFixtures.write(shape, images: Self.images, to: fixture.path("in.tar"))
        let report = try await ImageRewriter(
            options: RewriteOptions(
                input: "docker-archive:\(archive)@1", output: "oci:\(fixture.path("out"))", strategy: .dedup)
        ).run()
        #expect(report.images.count == 1)
        #expect(report.images.first?.name.hasSuffix("other:2") == true, "\(report.images.map(\.name))")
    }

    @Test(arguments: [ArchiveFixtures.Shape.legacy, .docker25, .skopeo])
    func aNameSelectsByRepoTag(_ shape: ArchiveFixtures.Shape) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let archive = try ArchiveFixtures.write(shape, images: Self.images, to: fixture.path("in.tar"))
        let report = try await ImageRewriter(
            options: RewriteOptions(
                input: "docker-archive:\(archive):docker.io/library/other:2", output: "oci:\(fixture.path("out"))",
                strategy: .dedup)
        ).run()
        #expect(report.images.count == 1)
    }
}
