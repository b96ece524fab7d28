import ByteIO
import Foundation
import ImageArchive
import OCIImage
import OCISlim
import TestSupport
import Testing

/// Referrers at the output's edges: a `docker save` archive has no place for them, an OCI archive holds them as a
/// layout does, and an output name names the image, not the referrers listed beside it.
@Suite struct ReferrerDestinationTests {
    /// The cosign fixture copied to `in` under `scratch`, its `index.json` listing only the entries at `positions`.
    static func cosignLayout(_ scratch: LayoutFixture, keeping positions: [Int]) throws -> String {
        let layout = scratch.path("in")
        try FileManager.default.copyItem(atPath: ReferrerTests.fixture("cosign"), toPath: layout)
        var index = try LayoutFixture.document(layout)
        let entries = try ReferrerTests.entries(layout)
        index["manifests"] = .array(positions.map { entries[$0] })
        try Data(try index.encoded()).write(to: URL(fileURLWithPath: "\(layout)/index.json"))
        return layout
    }

    /// Rewrites `input` into `output` with `policy`.
    static func rewrite(
        _ input: String, to output: String, policy: ReferrerPolicy = ReferrerPolicy(), replace: Bool = false
    ) async throws -> RewriteReport {
        var options = RewriteOptions(input: input, output: output, strategy: .dedup, jobs: 1)
        options.referrers = policy
        options.replaceExistingName = replace
        return try await ImageRewriter(options: options).run()
    }

    /// The ref names of a layout's (or an archive's) `index.json` entries, nil for an entry without one.
    static func names(_ indexBytes: [UInt8]) throws -> [String?] {
        try (JSONValue.parse(indexBytes, what: "index.json")["manifests"]?.arrayValue ?? []).map {
            $0["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue
        }
    }

    /// The referrers a rewrite of `archive` finds in it (into a layout under `scratch`): what the archive holds.
    static func referrers(in archive: String, _ scratch: LayoutFixture) async throws -> [ReferrerReport] {
        let output = scratch.path("read-back")
        defer { try? FileManager.default.removeItem(atPath: output) }
        return try await rewrite(archive, to: "oci:\(output)").referrers
    }

    static func indexBytes(_ layout: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(layout)/index.json")))
    }

    // MARK: docker-archive

    /// A `docker save` archive holds images alone: every referrer is reported dropped, with the reason, whatever the
    /// policy would have done (relink the `.sbom` tag, keep the signatures, copy the unchanged image's), and one
    /// warning says how many; the archive read back has none.
    @Test(arguments: [ReferrerPolicy(), ReferrerPolicy(signatures: .keep)])
    func aDockerArchiveDropsEveryReferrer(policy: ReferrerPolicy) async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let archive = scratch.path("out.tar")
        let report = try await Self.rewrite(
            ReferrerTests.fixture("cosign"), to: "docker-archive:\(archive)", policy: policy)
        let reason = "docker-archive cannot hold signatures or attestations"
        #expect(report.referrers.count == 5)
        #expect(report.referrers.allSatisfy { $0.action == .dropped && $0.reason == reason && $0.newDigest == nil })
        #expect(report.warnings.filter { $0.contains("cannot hold") } == ["\(reason): 5 dropped"])
        #expect(!report.warnings.contains { $0.contains("was kept as asked") })
        let table = report.renderTable()
        #expect(table.components(separatedBy: "\n").filter { $0.hasSuffix(": dropped") }.count == 5)
        #expect(table.contains("warning: \(reason): 5 dropped"))

        #expect(try await Self.referrers(in: archive, scratch).isEmpty)
    }

    /// With `--signatures refuse`, a `docker save` output refuses every signature, whether its subject changes or
    /// not (here one of an image the layout no longer holds, which a layout output copies as it is), before any
    /// layer is read: exit status 3, nothing written.
    @Test func aDockerArchiveRefusesEverySignatureBeforeTheScan() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        // app, its .sig, .att, .sbom and bundle, and static's .sig without static.
        let layout = try Self.cosignLayout(scratch, keeping: [0, 2, 3, 4, 5, 6])
        let entries = try ReferrerTests.entries(layout)
        let app = try ReferrerTests.digest(entries[0])
        let image = try LayoutFixture.document(layout, app)
        let layer = try ReferrerTests.digest(image["layers"]?.arrayValue?.first)
        try Data("not a layer".utf8).write(to: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(layer.encoded)"))
        let staticImage = try ReferrerTests.digest(ReferrerTests.entries(ReferrerTests.fixture("cosign"))[1])
        let archive = scratch.path("out.tar")
        do {
            _ = try await Self.rewrite(
                layout, to: "docker-archive:\(archive)", policy: ReferrerPolicy(signatures: .refuse))
            Issue.record("the rewrite should have been refused")
        } catch {
            #expect(FailureKind(error).exitStatus == 3)
            let refused = try [(entries[1], app), (entries[2], app), (entries[4], staticImage), (entries[5], app)].map {
                "\(try ReferrerTests.digest($0.0)) (signature of \($0.1))"
            }
            #expect(
                "\(error)" == "--signatures refuse: docker-archive cannot hold signatures or attestations: "
                    + "4 signatures would be lost: " + refused.joined(separator: ", "))
        }
        #expect(!FileManager.default.fileExists(atPath: archive))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.root).sorted() == ["in"])
    }

    /// Each archive shape holds referrers as `ImageShape.holdsReferrers` says: the cosign fixture's images written in
    /// it and read back keep their referrers in an OCI archive and containerd's export, and lose them in the others.
    @Test(arguments: [ImageShape.ociArchive] + DockerArchiveFlavor.allCases.map(ImageShape.dockerArchive))
    func eachShapeHoldsReferrersAsItSays(shape: ImageShape) async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let layout = try ImageLayout(path: ReferrerTests.fixture("cosign"))
        let graph = try GraphReader(source: layout, warn: { _ in }).read()
        let images = graph.images.map {
            ArchiveImage(
                manifest: $0.descriptor, config: $0.manifest.config, layers: $0.manifest.layers,
                repoTags: ["example.com/\($0.descriptor.digest.encoded.prefix(8)):1"])
        }
        let archive = scratch.path("out.tar")
        let sink = try FileSink(creating: archive)
        try ImageArchives.write(layout: layout, images: images, shape: shape, to: sink)
        try sink.finish()
        #expect(try await Self.referrers(in: archive, scratch).count == (shape.holdsReferrers ? 5 : 0))
    }

    // MARK: oci-archive

    /// An OCI archive holds referrers as a layout does: the same actions, the `.sbom` tag renamed, the unchanged
    /// image's `.sig` carried, no reason and no warning of a loss.
    @Test func anOCIArchiveCarriesReferrers() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let archive = scratch.path("out.tar")
        let report = try await Self.rewrite(ReferrerTests.fixture("cosign"), to: "oci-archive:\(archive)")
        #expect(report.referrers.map(\.action) == [.dropped, .dropped, .relinked, .unchanged, .dropped])
        #expect(report.referrers.allSatisfy { $0.reason == nil })
        #expect(!report.warnings.contains { $0.contains("cannot hold") })
        let app = try #require(report.images.first { $0.name.hasPrefix("app ") })
        let stat = try #require(report.images.first { $0.name.hasPrefix("static ") })
        let source = try ImageArchives.open(path: archive, expected: .ociArchive)
        #expect(
            try Self.names(source.indexBytes())
                == [
                    "app", "static", "sha256-\(app.manifest.new.encoded).sbom",
                    "sha256-\(stat.manifest.old.encoded).sig",
                ])
        #expect(
            try await Self.referrers(in: archive, scratch).map(\.subject.old) == [app.manifest.new, stat.manifest.old])
    }

    // MARK: Output names

    /// An output name counts the images of `index.json`, not the cosign tags and OCI referrers listed beside them:
    /// the image takes the name, a carried referrer keeps its own (the `.sbom` tag follows the new digest, the
    /// bundle keeps having none).
    @Test(arguments: [ReferrerPolicy(), ReferrerPolicy(signatures: .keep)])
    func aNamedOutputNamesTheImageAlone(policy: ReferrerPolicy) async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let layout = try Self.cosignLayout(scratch, keeping: [0, 2, 3, 4, 6])
        let input = try Self.names(Self.indexBytes(layout))
        let output = scratch.path("out")
        let report = try await Self.rewrite(layout, to: "oci:\(output):renamed", policy: policy)
        let app = try #require(report.images.first)
        let sbom = "sha256-\(app.manifest.new.encoded).sbom"
        let expected: [String?] =
            policy.signatures == .keep ? ["renamed", input[1], input[2], sbom, nil] : ["renamed", sbom]
        #expect(try Self.names(Self.indexBytes(output)) == expected)
        try LayoutFixture.checkLayout(output)
    }

    /// A name still refuses an input of several images, counting the images alone (cosign's fixture has two, and
    /// five referrers).
    @Test func aNameForSeveralImagesCountsTheImages() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let output = "oci:\(scratch.path("out")):renamed"
        do {
            _ = try await Self.rewrite(ReferrerTests.fixture("cosign"), to: output)
            Issue.record("the rewrite should have been refused")
        } catch {
            #expect(
                "\(error)" == "output \(output) names one image, but the input has 2: select one (oci:DIR:NAME, "
                    + "docker-archive:FILE:NAME:TAG or FILE@N)")
        }
    }

    /// Into an existing layout, the image is added under the name and its carried referrers under theirs; run again
    /// with `--replace`, each entry is replaced, none listed twice. The layout's own image stays.
    @Test func anExistingLayoutGetsTheImageAndItsReferrers() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let layout = try Self.cosignLayout(scratch, keeping: [0, 2, 3, 4, 6])
        let existing = scratch.path("existing")
        try FileManager.default.copyItem(atPath: ReferrerTests.fixture("notation"), toPath: existing)
        let before = try Self.names(Self.indexBytes(existing))
        let policy = ReferrerPolicy(signatures: .keep)
        let report = try await Self.rewrite(layout, to: "oci:\(existing):renamed", policy: policy)
        let app = try #require(report.images.first)
        let input = try Self.names(Self.indexBytes(layout))
        let added: [String?] = ["renamed", input[1], input[2], "sha256-\(app.manifest.new.encoded).sbom", nil]
        #expect(try Self.names(Self.indexBytes(existing)) == before + added)
        let once = try ReferrerTests.entries(existing)
        _ = try await Self.rewrite(layout, to: "oci:\(existing):renamed", policy: policy, replace: true)
        #expect(try ReferrerTests.entries(existing) == once)
        try LayoutFixture.checkLayout(existing)
    }
}
