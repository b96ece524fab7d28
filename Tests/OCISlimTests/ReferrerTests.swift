import Foundation
import OCIImage
import OCISlim
import TestSupport
import Testing

/// Signatures and attestations of rewritten images, on the layouts `scripts/make-referrer-fixtures.py` committed
/// under `testdata/referrers` (BuildKit, cosign, notation, OCI 1.1 referrers in a nested index, loose blobs).
@Suite struct ReferrerTests {
    /// The committed fixture layout `name`.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("testdata/referrers/\(name)").path
    }

    /// Rewrites fixture `name` with `policy` into `out` under `scratch`.
    static func rewrite(
        _ name: String, into scratch: LayoutFixture, policy: ReferrerPolicy = ReferrerPolicy(), input: String? = nil
    ) async throws -> (report: RewriteReport, output: String) {
        var options = RewriteOptions(
            input: input ?? fixture(name), output: scratch.path("out"), strategy: .dedup, jobs: 1)
        options.referrers = policy
        let report = try await ImageRewriter(options: options).run()
        return (report, scratch.path("out"))
    }

    /// The entries of a layout's `index.json`, or of index `digest` in it.
    static func entries(_ layout: String, _ digest: Digest? = nil) throws -> [JSONValue] {
        try LayoutFixture.document(layout, digest)["manifests"]?.arrayValue ?? []
    }

    /// A blob's bytes.
    static func blob(_ layout: String, _ digest: Digest) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(digest.encoded)")))
    }

    static func digest(_ value: JSONValue?) throws -> Digest {
        try Digest(parsing: try #require(value?["digest"]?.stringValue))
    }

    /// Every file of the output (blobs and `index.json`) that contains `hex`.
    static func files(in layout: String, containing hex: String) throws -> [String] {
        try LayoutFixture.files(under: layout).filter { String(decoding: $0.value, as: UTF8.self).contains(hex) }
            .map(\.key).sorted()
    }

    // MARK: BuildKit attestations

    /// After relink, the attestation manifest's `vnd.docker.reference.digest`, each statement's subject digest and
    /// the config's diff_ids name the new blobs; every other byte of each statement (its predicate) is unchanged.
    @Test func buildkitAttestationsAreRelinked() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (report, output) = try await Self.rewrite("buildkit", into: scratch)
        let image = try #require(report.images.first)
        let (old, new) = (image.manifest.old, image.manifest.new)
        #expect(old != new)

        let input = Self.fixture("buildkit")
        let inputAttestation = try #require(try Self.entries(input, Self.digest(Self.entries(input).first)).last)
        let nested = try Self.digest(Self.entries(output).first)
        let children = try Self.entries(output, nested)
        #expect(try children.map(Self.digest) == [new, Self.digest(children.last)])
        let attestation = try #require(children.last)
        #expect(attestation["annotations"]?["vnd.docker.reference.digest"]?.stringValue == new.description)
        #expect(attestation["annotations"]?["vnd.docker.reference.type"]?.stringValue == "attestation-manifest")

        let oldManifest = try LayoutFixture.document(input, Self.digest(inputAttestation))
        let newManifest = try LayoutFixture.document(output, Self.digest(attestation))
        let oldLayers = try #require(oldManifest["layers"]?.arrayValue)
        let newLayers = try #require(newManifest["layers"]?.arrayValue)
        #expect(oldLayers.count == 2 && newLayers.count == 2)
        for (oldLayer, newLayer) in zip(oldLayers, newLayers) {
            let before = try Self.blob(input, Self.digest(oldLayer))
            let after = try Self.blob(output, Self.digest(newLayer))
            let statement = try JSONValue.parse(after, what: "statement")
            let subjects = try #require(statement["subject"]?.arrayValue)
            #expect(subjects.map { $0["digest"]?["sha256"]?.stringValue } == [new.encoded])
            let expected = String(decoding: before, as: UTF8.self).replacingOccurrences(
                of: old.encoded, with: new.encoded)
            #expect(String(decoding: after, as: UTF8.self) == expected, "only the subject's digest changed")
            #expect(newLayer["annotations"] == oldLayer["annotations"])
        }
        let config = try LayoutFixture.document(output, Self.digest(newManifest["config"]))
        #expect(
            config["rootfs"]?["diff_ids"]?.arrayValue?.map(\.stringValue) == newLayers.map { $0["digest"]?.stringValue }
        )

        let row = try #require(report.referrers.first)
        #expect(report.referrers.count == 1)
        #expect(row.class == .attestation && row.kind == .buildkitAttestation && row.action == .relinked)
        #expect(row.subject == SubjectChange(old: old, new: new))
        let attestationDigest = try Self.digest(attestation)
        #expect(row.newDigest == attestationDigest)
        try LayoutFixture.checkLayout(output)
    }

    /// `--digestfile` (the report's digestMap) lists exactly the rewritten image manifest and the index above it, not
    /// the relinked attestation manifest.
    @Test func theDigestMapListsTheRewrittenManifestsOnly() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (report, output) = try await Self.rewrite("buildkit", into: scratch)
        let nested = try Self.digest(Self.entries(output).first)
        let image = try #require(report.images.first)
        #expect(Set(report.digestMap.map(\.new)) == [image.manifest.new, nested])
        #expect(report.digestMap.count == 2)
    }

    /// After `--attestations drop`, nothing in the output names the old image digest.
    @Test func droppedAttestationsLeaveNoOldDigest() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (report, output) = try await Self.rewrite(
            "buildkit", into: scratch, policy: ReferrerPolicy(attestations: .drop))
        let image = try #require(report.images.first)
        #expect(try Self.files(in: output, containing: image.manifest.old.encoded) == [])
        let nested = try Self.digest(Self.entries(output).first)
        #expect(try Self.entries(output, nested).map(Self.digest) == [image.manifest.new])
        #expect(report.referrers.map(\.action) == [.dropped])
        #expect(
            report.renderTable().contains(
                "attestation \(report.referrers[0].digest.short) (buildkit-attestation) of "
                    + "\(image.manifest.old.short): dropped"))
    }

    // MARK: cosign

    /// By default the `.sig`, `.att` and bundle signatures of the changed image go, its `.sbom` tag is renamed to
    /// the new digest, the unchanged image's `.sig` stays byte for byte, and no file names the old digest.
    @Test func cosignDefaults() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (report, output) = try await Self.rewrite("cosign", into: scratch)
        let app = try #require(report.images.first { $0.name.hasPrefix("app ") })
        let stat = try #require(report.images.first { $0.name.hasPrefix("static ") })
        #expect(stat.manifest.old == stat.manifest.new, "the image without Python is unchanged")
        let (old, new) = (app.manifest.old, app.manifest.new)
        #expect(try Self.files(in: output, containing: old.encoded) == [])
        let names = try Self.entries(output).map {
            $0["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue
        }
        #expect(names == ["app", "static", "sha256-\(new.encoded).sbom", "sha256-\(stat.manifest.old.encoded).sig"])
        let inputEntries = try Self.entries(Self.fixture("cosign"))
        #expect(try Self.entries(output).last == inputEntries[5], "the unchanged image's signature as it was")

        let actions = Dictionary(uniqueKeysWithValues: report.referrers.map { ($0.digest, $0.action) })
        #expect(try actions[Self.digest(inputEntries[2])] == .dropped)  // .sig
        #expect(try actions[Self.digest(inputEntries[3])] == .dropped)  // .att (DSSE: signed)
        #expect(try actions[Self.digest(inputEntries[4])] == .relinked)  // .sbom
        #expect(try actions[Self.digest(inputEntries[5])] == .unchanged)  // static's .sig
        #expect(try actions[Self.digest(inputEntries[6])] == .dropped)  // sigstore bundle
        #expect(report.referrers.map(\.class) == [.signature, .signature, .attestation, .signature, .signature])
        #expect(report.referrers.map(\.kind) == [.cosignTag, .cosignTag, .cosignTag, .cosignTag, .ociReferrer])
        #expect(report.referrers[2].name == "sha256-\(new.encoded).sbom")
        try LayoutFixture.checkLayout(output)
    }

    /// `--signatures keep` carries the signatures over unchanged and warns that each still names the old digest.
    @Test func keptSignaturesWarn() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (report, output) = try await Self.rewrite(
            "cosign", into: scratch, policy: ReferrerPolicy(signatures: .keep))
        let app = try #require(report.images.first { $0.name.hasPrefix("app ") })
        let input = try Self.entries(Self.fixture("cosign"))
        let kept = try Self.entries(output)
        #expect(kept.count == input.count)
        #expect(kept[2] == input[2] && kept[3] == input[3] && kept[5] == input[5])
        #expect(report.referrers.filter { $0.action == .kept }.count == 3)
        let sig = try Self.digest(input[2])
        #expect(
            report.warnings.contains(
                "signature \(sig) (cosign-tag) was kept as asked: it still names \(app.manifest.old), which the output "
                    + "replaces with \(app.manifest.new)"))
    }

    /// `--signatures refuse` stops before anything is written, exit status 3, naming every signature of an image
    /// selected for rewriting (an image that would turn out unchanged counts: that is known only after the scan).
    @Test func refusedSignaturesStopTheRun() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let input = try Self.entries(Self.fixture("cosign"))
        do {
            _ = try await Self.rewrite("cosign", into: scratch, policy: ReferrerPolicy(signatures: .refuse))
            Issue.record("the rewrite should have been refused")
        } catch {
            #expect(FailureKind(error).exitStatus == 3)
            let app = try Self.digest(input[0])
            let stat = try Self.digest(input[1])
            let refused = try [(input[2], app), (input[3], app), (input[5], stat), (input[6], app)].map {
                "\(try Self.digest($0.0)) (signature of \($0.1))"
            }
            #expect(
                "\(error)" == "--signatures refuse: 4 signatures would no longer verify: "
                    + refused.joined(separator: ", "))
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }

    /// The refusal comes before any layer is read: a layer that would fail the scan is never reached.
    @Test func refusalComesBeforeTheScan() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let layout = scratch.path("in")
        try FileManager.default.copyItem(atPath: Self.fixture("notation"), toPath: layout)
        let image = try LayoutFixture.document(layout, Self.digest(Self.entries(layout).first))
        let layer = try Self.digest(image["layers"]?.arrayValue?.first)
        try Data("not a layer".utf8).write(to: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(layer.encoded)"))
        await #expect(throws: ReferrerError.self) {
            _ = try await Self.rewrite(
                "notation", into: scratch, policy: ReferrerPolicy(signatures: .refuse), input: layout)
        }
        await #expect(throws: RewriteError.self, "without refuse, the scan finds the broken layer") {
            _ = try await Self.rewrite("notation", into: scratch, input: layout)
        }
    }

    /// An input reference that selects one image leaves its cosign tags behind, and says so.
    @Test func tagsLeftBySelectionAreNamed() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let layout = Self.fixture("cosign")
        let (report, _) = try await Self.rewrite("cosign", into: scratch, input: "oci:\(layout):app")
        let entries = try Self.entries(layout)
        let tags = entries[2...4].compactMap { $0["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue }
        #expect(report.referrers.isEmpty)
        #expect(
            report.warnings.contains(
                "the input reference selects part of \(layout); the cosign tags of what it selects are not carried: "
                    + tags.joined(separator: ", ") + " (read the whole layout to act on them)"))
    }

    // MARK: notation, OCI referrers, loose blobs

    @Test func notationSignaturesAreDropped() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (report, output) = try await Self.rewrite("notation", into: scratch)
        let app = try #require(report.images.first)
        #expect(try Self.entries(output).map(Self.digest) == [app.manifest.new])
        let row = try #require(report.referrers.first)
        #expect(row.class == .signature && row.kind == .ociReferrer && row.action == .dropped)
        #expect(row.artifactType == "application/vnd.cncf.notary.signature")
        #expect(try Self.files(in: output, containing: app.manifest.old.encoded) == [])
    }

    /// In a nested index, a referrer listed before its subject is written after it: its `subject` descriptor names
    /// the new manifest (digest and size). An artifact of unknown type is handled like a signature.
    @Test func nestedReferrersFollowTheirSubject() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (report, output) = try await Self.rewrite("nested", into: scratch)
        let app = try #require(report.images.first)
        let nested = try Self.digest(Self.entries(output).first)
        let children = try Self.entries(output, nested)
        #expect(children.count == 2)
        #expect(try Self.digest(children[1]) == app.manifest.new)
        let referrer = try LayoutFixture.document(output, Self.digest(children[0]))
        #expect(try Self.digest(referrer["subject"]) == app.manifest.new)
        #expect(referrer["subject"]?["size"] == children[1]["size"])
        #expect(report.referrers.map(\.class) == [.attestation, .unknown])
        #expect(report.referrers.map(\.action) == [.relinked, .dropped])

        // The statement's predicate (before its subject here) names the old digest too; it stays as it was.
        let input = Self.fixture("nested")
        let inputReferrer = try Self.entries(input, Self.digest(Self.entries(input).first))[0]
        let before = try Self.blob(
            input, Self.digest(LayoutFixture.document(input, Self.digest(inputReferrer))["layers"]?.arrayValue?.first))
        let after = try Self.blob(output, Self.digest(referrer["layers"]?.arrayValue?.first))
        let (old, new) = (app.manifest.old.encoded, app.manifest.new.encoded)
        #expect(
            String(decoding: after, as: UTF8.self).replacingOccurrences(of: new, with: old)
                == String(decoding: before, as: UTF8.self))
        #expect(
            String(decoding: after, as: UTF8.self).contains("@sha256:\(old)\""),
            "the predicate still names the old digest")
        let statement = try JSONValue.parse(after, what: "statement")
        #expect(statement["subject"]?.arrayValue?.first?["digest"]?["sha256"]?.stringValue == new)
        try LayoutFixture.checkLayout(output)
    }

    /// `--scan-blobs` finds referrers listed nowhere: the attestation is relinked and listed in `index.json`, the
    /// signature reported and left out; a signature of an image the layout no longer holds is not this image's.
    /// Without `--scan-blobs`, they are neither reported nor carried.
    @Test func looseReferrersNeedScanBlobs() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (plain, _) = try await Self.rewrite("loose", into: scratch)
        #expect(plain.referrers.isEmpty)
        try FileManager.default.removeItem(atPath: scratch.path("out"))

        let (report, output) = try await Self.rewrite("loose", into: scratch, policy: ReferrerPolicy(scanBlobs: true))
        let app = try #require(report.images.first)
        #expect(report.referrers.count == 2)
        #expect(report.referrers.allSatisfy { $0.loose })
        #expect(Set(report.referrers.map(\.action)) == [.relinked, .dropped])
        let relinked = try #require(report.referrers.first { $0.action == .relinked })
        #expect(try Self.entries(output).map(Self.digest) == [app.manifest.new, try #require(relinked.newDigest)])
        #expect(try Self.files(in: output, containing: app.manifest.old.encoded) == [])
    }

    /// The buildkit fixture copied to `in` under `scratch`, its attestation listed again at the top as a cosign tag
    /// of the index that lists it: a referrer naming a document above it. Returns the layout, the attestation and
    /// the index.
    static func ancestorLayout(_ scratch: LayoutFixture) throws -> (layout: String, referrer: Digest, subject: Digest) {
        let layout = scratch.path("in")
        try FileManager.default.copyItem(atPath: fixture("buildkit"), toPath: layout)
        var index = try LayoutFixture.document(layout)
        let nested = try digest(entries(layout).first)
        var attestation = try #require(try entries(layout, nested).last)
        attestation["annotations"] = .object([
            "org.opencontainers.image.ref.name": .string("sha256-\(nested.encoded).att")
        ])
        index["manifests"] = .array([attestation] + (try entries(layout)))
        try Data(try index.encoded()).write(to: URL(fileURLWithPath: "\(layout)/index.json"))
        return (layout, try digest(attestation), nested)
    }

    /// A referrer whose subject is an index that lists it is refused as invalid input: the index's new digest would
    /// depend on the referrer's and the other way round.
    @Test func aSubjectAboveItsReferrerIsRefused() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (layout, referrer, subject) = try Self.ancestorLayout(scratch)
        let message = try await RefusedRewrite.message(scratch, input: layout, strategy: .dedup)
        #expect(
            message
                == "manifest \(referrer) refers to \(subject), which lists it or refers back to it: "
                + "a referrer cannot name a document above it")
    }

    /// The graph reader refuses it, so the run stops before any layer is read: a layer that would fail the scan is
    /// never reached.
    @Test func aSubjectAboveItsReferrerIsRefusedBeforeTheScan() async throws {
        let scratch = try LayoutFixture.make()
        defer { scratch.cleanUp() }
        let (layout, referrer, subject) = try Self.ancestorLayout(scratch)
        let expected = ReferrerError.subjectIsAncestor(referrer: referrer, subject: subject).description
        #expect(throws: ReferrerError.self) {
            _ = try GraphReader(source: try ImageLayout(path: layout), warn: { _ in }).read()
        }
        let image = try LayoutFixture.document(layout, Self.digest(Self.entries(layout, subject).first))
        let layer = try Self.digest(image["layers"]?.arrayValue?.first)
        try Data("not a layer".utf8).write(to: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(layer.encoded)"))
        do {
            _ = try await Self.rewrite("buildkit", into: scratch, input: layout)
            Issue.record("the rewrite should have been refused")
        } catch {
            #expect(error is ReferrerError, "not the scan's error: \(error)")
            #expect("\(error)" == expected)
            #expect(FailureKind(error).exitStatus == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }
}
