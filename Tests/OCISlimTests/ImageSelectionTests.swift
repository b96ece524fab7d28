import Foundation
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// `oci:DIR:NAME` selects images, `--platform` selects platforms, `oci:EXISTING:NAME` adds to a layout.
@Suite struct ImageSelectionTests {
    private func rewrite(
        _ input: String, _ output: String, platforms: [Platform] = [], replace: Bool = false
    ) async throws -> RewriteReport {
        var options = RewriteOptions(input: input, output: output, strategy: .dropOptimized, jobs: 2)
        options.platforms = platforms
        options.replaceExistingName = replace
        return try await ImageRewriter(options: options).run()
    }

    private func index(_ layout: String) throws -> [JSONValue] {
        try LayoutFixture.document(layout)["manifests"]?.arrayValue ?? []
    }

    private func names(_ layout: String) throws -> [String?] {
        try index(layout).map { $0["annotations"]?[Annotation.refName]?.stringValue }
    }

    @Test func aNameSelectsOneImageAndTheOutputListsOnlyIt() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try RewriteTests.pythonImage()
        let input = try fixture.writeLayout("in", images: [python, [python[0]]])
        let report = try await rewrite("oci:\(input):tag1", "oci:\(fixture.path("out"))")
        #expect(report.images.map(\.name) == ["tag1 linux/arch1"])
        #expect(try names(fixture.path("out")) == ["tag1"])
        try LayoutFixture.checkLayout(fixture.path("out"))
    }

    @Test func theOutputNameRenamesTheImage() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        _ = try await rewrite("oci:\(input):tag0", "oci:\(fixture.path("out")):slim")
        #expect(try names(fixture.path("out")) == ["slim"])
    }

    @Test func anUnknownNameIsRefusedListingTheNames() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try RewriteTests.pythonImage()
        let input = try fixture.writeLayout("in", images: [python, [python[0]]])
        await #expect {
            _ = try await rewrite("oci:\(input):nope", fixture.path("out"))
        } throws: { error in
            "\(error)" == "\(input): no image named \"nope\" (it has: tag0, tag1)"
                && FailureKind(error) == .invalidInput
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.path("out")))
    }

    @Test func aNameForSeveralImagesIsAUsageError() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try RewriteTests.pythonImage()
        let input = try fixture.writeLayout("in", images: [python, python])
        await #expect {
            _ = try await rewrite(input, "oci:\(fixture.path("out")):one")
        } throws: { error in
            FailureKind(error) == .usage
                && "\(error)".hasPrefix("output oci:\(fixture.path("out")):one names one image, but the input has 2")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.path("out")))
    }

    @Test func platformRewritesOnlyThatPlatformAndCarriesTheOtherByteForByte() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try RewriteTests.pythonImage()
        let input = try fixture.writeLayout("in", images: [python, [python[0]]], nested: true)
        let output = fixture.path("out")
        let report = try await rewrite(input, output, platforms: [Platform(architecture: "arch1", os: "linux")])
        #expect(report.images.map(\.name) == ["multi tag1 linux/arch1"])
        let inputInner = try #require(try index(input).first?["digest"]?.stringValue)
        let outputInner = try #require(try index(output).first?["digest"]?.stringValue)
        let before = try LayoutFixture.document(input, try Digest(parsing: inputInner))["manifests"]?.arrayValue ?? []
        let after = try LayoutFixture.document(output, try Digest(parsing: outputInner))["manifests"]?.arrayValue ?? []
        #expect(after.count == 2)
        #expect(after.first == before.first, "arch0 is listed as it was")
        #expect(after.last?["digest"] != before.last?["digest"], "arch1 is rewritten")
        // Every blob of arch0 is in the output, byte for byte.
        let arch0 = try Digest(parsing: try #require(before.first?["digest"]?.stringValue))
        let manifest = try LayoutFixture.document(input, arch0)
        var blobs = [arch0.encoded]
        blobs += try ([manifest["config"]] + (manifest["layers"]?.arrayValue ?? [])).compactMap {
            try $0?["digest"]?.stringValue.map { try Digest(parsing: $0).encoded }
        }
        for blob in blobs {
            #expect(
                FileManager.default.contentsEqual(
                    atPath: "\(input)/blobs/sha256/\(blob)", andPath: "\(output)/blobs/sha256/\(blob)"))
        }
        try LayoutFixture.checkLayout(output)
    }

    @Test func aSingleImageOfAnotherPlatformIsRefusedNamingItsOwn() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        // The index entry names no platform: the config's (linux/amd64) counts.
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        try Data(
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: input + "/index.json")), as: UTF8.self)
                .replacingOccurrences(of: #""platform":{"architecture":"arch0","os":"linux"},"#, with: "").utf8
        ).write(to: URL(fileURLWithPath: input + "/index.json"))
        await #expect {
            _ = try await rewrite(input, fixture.path("out"), platforms: [Platform(architecture: "s390x", os: "linux")])
        } throws: { error in
            "\(error)" == "\(input): no image for platform linux/s390x (it has: linux/amd64)"
        }
    }

    @Test func aPlatformTheImageDoesNotHaveIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try RewriteTests.pythonImage()
        let input = try fixture.writeLayout("in", images: [python, [python[0]]], nested: true)
        await #expect {
            _ = try await rewrite(input, fixture.path("out"), platforms: [Platform(architecture: "s390x", os: "linux")])
        } throws: { error in
            "\(error)" == "\(input): no image for platform linux/s390x (it has: linux/arch0, linux/arch1)"
                && FailureKind(error) == .invalidInput
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.path("out")))
    }

    @Test func aNewNameInTheInputLayoutAddsTheImageAndLeavesTheOthersUntouched() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try RewriteTests.pythonImage()
        let input = try fixture.writeLayout("in", images: [python, [python[0]]])
        let before = try Snapshot.tree(input + "/blobs")
        let entriesBefore = try index(input)
        _ = try await rewrite("oci:\(input):tag0", "oci:\(input):tag0-slim")
        let entries = try index(input)
        #expect(Array(entries.prefix(2)) == entriesBefore, "the other images are listed as they were")
        #expect(try names(input) == ["tag0", "tag1", "tag0-slim"])
        let after = try Snapshot.tree(input + "/blobs")
        for (path, content) in before { #expect(after[path] == content, "blob \(path) untouched") }
        #expect(after.count > before.count)
        try LayoutFixture.checkLayout(input)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: input).sorted() == [
                "blobs", "index.json", "oci-layout",
            ])
    }

    @Test func anExistingNameIsReplacedOnlyWithReplace() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        await #expect {
            _ = try await rewrite("oci:\(input):tag0", "oci:\(input):tag0")
        } throws: { error in
            "\(error)" == "\(input) already has an image named \"tag0\"; use --replace to replace it, or choose "
                + "another name" && FailureKind(error) == .usage
        }
        #expect(try names(input) == ["tag0"])
        _ = try await rewrite("oci:\(input):tag0", "oci:\(input):tag0", replace: true)
        #expect(try names(input) == ["tag0"])
        #expect(try index(input).first?["digest"] != nil)
        try LayoutFixture.checkLayout(input)
    }

    @Test func concurrentWritersToOneLayoutBothLand() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        async let first = rewrite("oci:\(input):tag0", "oci:\(input):a")
        async let second = rewrite("oci:\(input):tag0", "oci:\(input):b")
        _ = try await (first, second)
        #expect(try Set(names(input)) == ["tag0", "a", "b"])
        try LayoutFixture.checkLayout(input)
    }
}

/// The digest map: every manifest and index whose digest changed, old → new, named, for re-signing.
@Suite struct DigestMapTests {
    @Test func listsEveryRewrittenManifestAndIndexWithItsName() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let python = try RewriteTests.pythonImage()
        let input = try fixture.writeLayout("in", images: [python, [python[0]]], nested: true)
        let report = try await ImageRewriter(
            options: RewriteOptions(input: input, output: fixture.path("out"), strategy: .dropOptimized)
        ).run()
        let map = report.digestMap
        #expect(map.count == 3, "two manifests and the nested index: \(map)")
        #expect(Set(map.map(\.mediaType)) == [MediaType.ociManifest, MediaType.ociIndex])
        let index = try #require(map.first { $0.mediaType == MediaType.ociIndex })
        #expect(index.name == "multi")
        #expect(
            map.filter { $0.mediaType == MediaType.ociManifest }.compactMap(\.name).sorted() == [
                "multi tag0 linux/arch0", "multi tag1 linux/arch1",
            ])
        let listed = try #require(try LayoutFixture.document(fixture.path("out"))["manifests"]?.arrayValue?.first)
        #expect(listed["digest"]?.stringValue == index.new.description)
    }
}
