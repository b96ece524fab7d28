import Codecs
import Foundation
import ImageArchive
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// An archive in, an archive of the same shape out: read back, its images keep their names, the Python layer is
/// minimized, the untouched layer keeps its digest, and a second run gives the same bytes.
@Suite struct ArchiveRoundTripTests {
    static func images(_ compression: Compression) throws -> [ArchiveFixtureImage] {
        let base = FixtureLayer(
            entries: [.directory("etc"), .text("etc/os-release", "ID=test\n")], compression: compression)
        let python = FixtureLayer(
            entries: [
                .text("usr/lib/python3.11/m.py", "X = 1\n"),
                .file("usr/lib/python3.11/__pycache__/m.cpython-311.opt-1.pyc", try LayoutFixture.compile("X = 1\n")),
                .interpreter,
            ], compression: compression)
        return [ArchiveFixtureImage(layers: [base, python], repoTags: ["example.com/app:1"])]
    }

    static let expected: [ArchiveFixtures.Shape: ImageShape] = [
        .oci: .ociArchive, .legacy: .dockerArchive(.legacy), .docker25: .dockerArchive(.docker25),
        .containerd: .dockerArchive(.containerd), .skopeo: .dockerArchive(.skopeo), .crane: .dockerArchive(.crane),
    ]

    private func rewrite(_ input: String, _ output: String) async throws -> RewriteReport {
        try await ImageRewriter(
            options: RewriteOptions(input: input, output: output, strategy: .dropOptimized, minimumLayerSaving: 0)
        ).run()
    }

    @Test(arguments: ArchiveFixtures.Shape.allCases)
    func anArchiveComesOutInItsOwnShape(_ shape: ArchiveFixtures.Shape) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let compression: Compression = [.crane, .containerd, .oci].contains(shape) ? .gzip : .uncompressed
        let input = try ArchiveFixtures.write(shape, images: try Self.images(compression), to: fixture.path("in.tar"))
        let report = try await rewrite(input, fixture.path("out.tar"))
        #expect(report.totals.layersRewritten == 1)
        let output = try ImageArchives.open(path: fixture.path("out.tar"), expected: nil)
        #expect(output.shape == Self.expected[shape])
        let index = try ImageIndex.read(try output.indexBytes(), listedAs: nil, what: "index.json")
        #expect(index.manifests.count == 1)
        if shape != .oci {
            let names = output.names(of: try #require(index.manifests.first))
            #expect(names.contains { $0.hasSuffix("example.com/app:1") }, "\(names)")
        }
        // A second run gives the same bytes.
        _ = try await rewrite(input, fixture.path("again.tar"))
        #expect(
            FileManager.default.contentsEqual(atPath: fixture.path("out.tar"), andPath: fixture.path("again.tar")))
        // Nothing but the two archives and the input beside them.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: fixture.root).sorted() == [
                "again.tar", "in.tar", "out.tar",
            ])
    }

    @Test func theOutputReferenceNamesTheImage() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try ArchiveFixtures.write(.containerd, images: try Self.images(.gzip), to: fixture.path("in.tar"))
        _ = try await rewrite(input, "docker-archive:\(fixture.path("out.tar")):team/app:slim")
        let output = try ImageArchives.open(path: fixture.path("out.tar"), expected: .dockerArchive)
        let index = try ImageIndex.read(try output.indexBytes(), listedAs: nil, what: "index.json")
        let entry = try #require(index.manifests.first)
        #expect(entry.annotations?[Annotation.containerdImageName] == "docker.io/team/app:slim")
        #expect(entry.annotations?[Annotation.refName] == "slim")
        #expect(output.repoTags(ofManifest: entry.digest).contains { $0.hasSuffix("team/app:slim") })
    }

    @Test func aLayoutBecomesADockerArchiveWhenTheOutputSaysSo() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        _ = try await rewrite(input, "docker-archive:\(fixture.path("out.tar")):app:1")
        let output = try ImageArchives.open(path: fixture.path("out.tar"), expected: .dockerArchive)
        #expect(output.shape == .dockerArchive(.skopeo))
    }
}
