import Foundation
import Hashing
import OCIImage
import OCISlim
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Layouts built to attack the reader (issue 10): files that are not files, documents that nest without end or are
/// too large, JSON that other tools read differently, documents that are not what they are listed as. Each fails with
/// one line naming the culprit, leaves no output and no staging directory, and leaves the input as it was.
@Suite struct HostileLayoutTests {
    // MARK: Files that are not regular files

    @Test func aLayerBlobThatIsAFIFOIsRefusedWithoutBlocking() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let path = blobPath(input, image.layer.digest)
        try replaceWithFIFO(path)
        let message = try await failure(fixture, input: input, unblocking: path)
        #expect(message == "blob \(image.layer.digest) is a FIFO, not a regular file (\(path))")
    }

    @Test func aConfigBlobThatIsAFIFOIsRefusedWithoutBlocking() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let path = blobPath(input, image.config.digest)
        try replaceWithFIFO(path)
        let message = try await failure(fixture, input: input, unblocking: path)
        #expect(message == "blob \(image.config.digest) is a FIFO, not a regular file (\(path))")
    }

    @Test func aBlobThatLinksToADeviceIsRefusedUnread() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let path = blobPath(input, image.layer.digest)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
        let message = try await failure(fixture, input: input)
        #expect(message == "blob \(image.layer.digest) is a character device, not a regular file (\(path))")
    }

    /// Some tools build layouts whose blobs link to files elsewhere: a link that reaches a regular file is read.
    @Test func aBlobThatLinksToARegularFileIsRead() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let path = blobPath(input, image.layer.digest)
        let elsewhere = fixture.path("elsewhere")
        try FileManager.default.moveItem(atPath: path, toPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: elsewhere)
        let output = fixture.path("out")
        _ = try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: .dropOptimized))
            .run()
        try LayoutFixture.checkLayout(output)
    }

    @Test func anIndexJSONThatIsAFIFOIsNotCalledMissing() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        try replaceWithFIFO(input + "/index.json")
        let message = try await failure(fixture, input: input, unblocking: input + "/index.json")
        #expect(message == "\(input) is not an OCI image layout: index.json is a FIFO, not a regular file")
    }

    @Test func anOCILayoutFileThatIsAFIFOIsNotCalledMissing() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        try replaceWithFIFO(input + "/oci-layout")
        let message = try await failure(fixture, input: input, unblocking: input + "/oci-layout")
        #expect(message == "\(input) is not an OCI image layout: oci-layout is a FIFO, not a regular file")
    }

    // MARK: Size limits

    @Test func anIndexJSONOverTheDocumentLimitIsRefusedUnread() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        // A sparse file: 65 MiB that take no disk space.
        let size = ImageLayout.documentLimit + (1 << 20)
        #expect(truncate(input + "/index.json", off_t(size)) == 0)
        let message = try await failure(fixture, input: input)
        #expect(message == "\(input)/index.json: a \(size)-byte document is over the 64 MiB limit for documents")
    }

    // MARK: Nested indexes

    /// 8,000 nested indexes: a clean error at the depth limit, naming the first index too deep, and no crash.
    @Test func aChainOfEightThousandIndexesIsRefusedAtTheDepthLimit() async throws {
        let fixture = try Self.fixtureInMemory()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let chain = try nestIndexes(in: fixture, input, over: image.manifestDescriptor, levels: 8_000, copies: 1)
        let message = try await failure(fixture, input: input)
        // chain[0] is listed by index.json (depth 1), chain[64] is at depth 65.
        #expect(message == "index \(chain[64]): indexes are nested more than 64 deep")
    }

    /// 40 indexes, each listing the next one twice: 2^40 paths, 43 blobs. Each document is read and written once, so
    /// this finishes (it used to run without end).
    @Test func indexesThatListTheSameIndexTwiceAreReadOnce() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        try nestIndexes(in: fixture, input, over: image.manifestDescriptor, levels: 40, copies: 2)
        let output = fixture.path("out")
        let report = try await ImageRewriter(
            options: RewriteOptions(input: input, output: output, strategy: .dropOptimized)
        ).run()
        #expect(report.images.count == 1)
        #expect(report.rewrittenBlobs.count == 43)
        // Every blob hashes to its name (check-layout.py walks path by path, so it cannot check this layout).
        let blobs = try FileManager.default.contentsOfDirectory(atPath: output + "/blobs/sha256")
        #expect(blobs.count == 43)
        for name in blobs {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(output)/blobs/sha256/\(name)")))
            #expect(try SHA256Hasher.hash(bytes).hexString == name)
        }
    }

    /// One manifest under two tags is one image: planned, rewritten and written once, both entries patched.
    @Test func aManifestListedTwiceIsWrittenOnceAndBothEntriesFollowIt() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let entry = listing(image.manifestDescriptor)
        let tagged = { (tag: String) in
            entry.dropLast() + #","annotations":{"org.opencontainers.image.ref.name":"\#(tag)"}}"#
        }
        try Data(#"{"schemaVersion":2,"manifests":[\#(tagged("a")),\#(tagged("b"))]}"#.utf8).write(
            to: URL(fileURLWithPath: input + "/index.json"))
        let output = fixture.path("out")
        let report = try await ImageRewriter(
            options: RewriteOptions(input: input, output: output, strategy: .dropOptimized)
        ).run()
        #expect(report.images.map(\.name) == ["a"])
        let index = try ImageIndex.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: output + "/index.json"))), what: "index.json")
        #expect(index.manifests.map(\.referenceName) == ["a", "b"])
        #expect(index.manifests[0].digest == index.manifests[1].digest)
        #expect(index.manifests[0].digest != image.manifestDescriptor.digest)
        try LayoutFixture.checkLayout(output)
    }

    /// Two chains of 40 indexes, one below the other and the lower one also listed by `index.json`: the lower chain
    /// nests 80 deep through the upper one, whichever path the walk takes first.
    @Test(arguments: [true, false])
    func aSharedIndexTooDeepOnItsLongerPathIsRefused(upperFirst: Bool) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let lower = try nestIndexes(in: fixture, input, over: image.manifestDescriptor, levels: 40, copies: 1)
        let lowerTop = try descriptorOfIndex(input, lower[0])
        let upper = try nestIndexes(in: fixture, input, over: lowerTop, levels: 40, copies: 1)
        let entries = [listing(try descriptorOfIndex(input, upper[0])), listing(lowerTop)]
        let index =
            #"{"schemaVersion":2,"manifests":[\#((upperFirst ? entries : entries.reversed()).joined(separator: ","))]}"#
        try Data(index.utf8).write(to: URL(fileURLWithPath: input + "/index.json"))
        let message = try await failure(fixture, input: input)
        // Upper first: lower[i] is first reached at depth 41 + i. Lower first: lower[0] is reached again at depth 41,
        // with 40 levels below it.
        let culprit = upperFirst ? lower[24] : lower[0]
        #expect(message == "index \(culprit): indexes are nested more than 64 deep")
    }

    // MARK: JSON that other tools read differently

    @Test func aDuplicateKeyInADescriptorIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let decoy = "sha256:" + String(repeating: "0", count: 64)
        try patchIndex(input) {
            $0.replacingOccurrences(
                of: #""digest":"\#(image.manifestDescriptor.digest)""#,
                with: #""digest":"\#(image.manifestDescriptor.digest)","digest":"\#(decoy)""#)
        }
        let message = try await failure(fixture, input: input)
        #expect(message == "\(input)/index.json: duplicate key \"manifests[0].digest\"")
    }

    /// Go-based tools read `"Digest"` as `"digest"` and keep the last: the same decoy as a duplicate key.
    @Test func aDigestInAnotherCaseIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let decoy = "sha256:" + String(repeating: "0", count: 64)
        try patchIndex(input) {
            $0.replacingOccurrences(
                of: #""digest":"\#(image.manifestDescriptor.digest)""#,
                with: #""digest":"\#(image.manifestDescriptor.digest)","Digest":"\#(decoy)""#)
        }
        let message = try await failure(fixture, input: input)
        #expect(
            message
                == "\(input)/index.json: duplicate key \"manifests[0].Digest\": Go-based tools read it as \"digest\"")
    }

    @Test func aDuplicateKeyInAManifestIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let manifest = try relistManifest(fixture, input, image) {
            $0.replacingOccurrences(of: #""layers":"#, with: #""layers":[],"layers":"#)
        }
        let message = try await failure(fixture, input: input)
        #expect(message == "manifest \(manifest): duplicate key \"layers\"")
    }

    @Test func invalidUTF8IsNamedWithItsOffset() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: input + "/index.json")))
        let offset = try #require(bytes.firstIndex(of: UInt8(ascii: "t")))  // in the key "manifests"
        bytes[offset] = 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: input + "/index.json"))
        let message = try await failure(fixture, input: input)
        #expect(message == "\(input)/index.json: not valid UTF-8 at byte \(offset)")
    }

    @Test(arguments: [
        ("1.5", "field \"manifests[0].size\" must be a non-negative integer, got 1.5"),
        ("-1", "field \"manifests[0].size\" must be a non-negative integer, got -1"),
        (
            "9223372036854775808",
            "field \"manifests[0].size\" must be a non-negative integer, got 9.223372036854776e+18"
        ),
        ("\"12\"", "field \"manifests[0].size\" must be a non-negative integer, got \"12\""),
    ])
    func aSizeThatIsNotANonNegativeIntegerIsNamed(size: String, reason: String) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        try patchIndex(input) {
            $0.replacingOccurrences(of: #""size":\#(image.manifestDescriptor.size)"#, with: #""size":\#(size)"#)
        }
        let message = try await failure(fixture, input: input)
        #expect(message == "\(input)/index.json: \(reason)")
    }

    @Test func aNumberBeyondAnyFloatIsNamed() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        try patchIndex(input) {
            $0.replacingOccurrences(of: #""size":\#(image.manifestDescriptor.size)"#, with: #""size":1e400"#)
        }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: input + "/index.json")))
        let offset = try #require(bytes.indices.first { bytes[$0...].starts(with: "1e400".utf8) })
        let message = try await failure(fixture, input: input)
        #expect(message == "\(input)/index.json: number 1e400 at byte \(offset) is too large")
    }

    // MARK: Documents that are not what they are listed as

    @Test func aManifestWithManifestsIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let manifest = try relistManifest(fixture, input, image) {
            $0.replacingOccurrences(of: #""layers":"#, with: #""manifests":[],"layers":"#)
        }
        let message = try await failure(fixture, input: input)
        #expect(message == "manifest \(manifest): has both \"layers\" and \"manifests\"")
    }

    @Test func anIndexWithLayersIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let index =
            #"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)","#
            + #""manifests":[\#(listing(image.manifestDescriptor))],"layers":[]}"#
        let digest = try fixture.writeBlob(Array(index.utf8), in: input)
        try Data(
            #"{"schemaVersion":2,"manifests":[{"mediaType":"\#(MediaType.ociIndex)","digest":"\#(digest)","size":\#(index.utf8.count)}]}"#
                .utf8
        ).write(to: URL(fileURLWithPath: input + "/index.json"))
        let message = try await failure(fixture, input: input)
        #expect(message == "index \(digest): has both \"manifests\" and \"layers\"")
    }

    @Test func aManifestListedWithAnotherMediaTypeIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        try patchIndex(input) {
            $0.replacingOccurrences(
                of: #""mediaType":"\#(MediaType.ociManifest)""#, with: #""mediaType":"\#(MediaType.dockerManifest)""#)
        }
        let message = try await failure(fixture, input: input)
        #expect(
            message
                == "manifest \(image.manifestDescriptor.digest): its mediaType is \(MediaType.ociManifest), "
                + "but it is listed as \(MediaType.dockerManifest)")
    }

    @Test func aConfigWhoseRootfsIsNotLayersIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, image) = try makeInput(fixture)
        let configBytes = try ImageLayout(path: input).readDocument(image.config)
        let config = String(decoding: configBytes, as: UTF8.self)
            .replacingOccurrences(of: #""type":"layers""#, with: #""type":"squashfs""#)
        let configDigest = try fixture.writeBlob(Array(config.utf8), in: input)
        try relistManifest(fixture, input, image) {
            $0.replacingOccurrences(
                of: #""digest":"\#(image.config.digest)","size":\#(image.config.size)"#,
                with: #""digest":"\#(configDigest)","size":\#(config.utf8.count)"#)
        }
        let message = try await failure(fixture, input: input)
        #expect(message == "config \(configDigest): rootfs.type is \"squashfs\", the spec allows only \"layers\"")
    }

    // MARK: Helpers

    /// The descriptors of a one-image fixture.
    struct Image {
        let manifestDescriptor: Descriptor
        let config: Descriptor
        let layer: Descriptor
    }

    /// A fixture on `/dev/shm` when there is one: 8,000 small files take a minute on a busy disk, a second there.
    static func fixtureInMemory() throws -> LayoutFixture {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue
        else { return try LayoutFixture.make() }
        let root = "/dev/shm/ocislim-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        return LayoutFixture(root: root)
    }

    /// A valid one-layer Python image to break.
    private func makeInput(_ fixture: LayoutFixture) throws -> (String, Image) {
        let input = try fixture.writeSmallPythonLayout()
        let index = try ImageIndex.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: input + "/index.json"))), what: "index")
        let descriptor = try #require(index.manifests.first)
        let manifest = try ImageManifest.decode(try ImageLayout(path: input).readDocument(descriptor), what: "m")
        return (
            input,
            Image(manifestDescriptor: descriptor, config: manifest.config, layer: try #require(manifest.layers.first))
        )
    }

    /// Runs a rewrite that must fail; returns the error text, having checked that nothing was left behind and the
    /// input is unchanged. A reader stuck opening the FIFO at `unblocking` is released after a while (a writer opens
    /// it), so that a regression fails with a wrong message instead of hanging the suite.
    private func failure(_ fixture: LayoutFixture, input: String, unblocking fifo: String? = nil) async throws
        -> String
    {
        let unblocker = fifo.map { FIFOUnblocker(path: $0) }
        defer { unblocker?.stop() }
        return try await RefusedRewrite.message(fixture, input: input)
    }

    private func blobPath(_ input: String, _ digest: Digest) -> String { "\(input)/blobs/sha256/\(digest.encoded)" }

    private func replaceWithFIFO(_ path: String) throws {
        try FileManager.default.removeItem(atPath: path)
        guard mkfifo(path, 0o644) == 0 else { throw FixtureFailure("mkfifo \(path) failed") }
    }

    /// The JSON of a descriptor as an index lists it.
    private func listing(_ descriptor: Descriptor) -> String {
        #"{"mediaType":"\#(descriptor.mediaType)","digest":"\#(descriptor.digest)","size":\#(descriptor.size)}"#
    }

    private func descriptorOfIndex(_ input: String, _ digest: String) throws -> Descriptor {
        let size =
            try FileManager.default.attributesOfItem(atPath: "\(input)/blobs/sha256/\(digest.dropFirst(7))")[
                .size] as? Int
        return Descriptor(
            mediaType: MediaType.ociIndex, digest: try Digest(parsing: digest), size: Int64(try #require(size)))
    }

    /// Puts `levels` indexes between `index.json` and `bottom`, each listing the next `copies` times; returns their
    /// digests from the top (listed by `index.json`) down.
    @discardableResult
    private func nestIndexes(
        in fixture: LayoutFixture, _ input: String, over bottom: Descriptor, levels: Int, copies: Int
    ) throws -> [String] {
        var below = listing(bottom)
        var digests: [String] = []
        for _ in 0..<levels {
            let entries = Array(repeating: below, count: copies).joined(separator: ",")
            let index = #"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)","manifests":[\#(entries)]}"#
            let digest = try fixture.writeBlob(Array(index.utf8), in: input)
            digests.append(digest)
            below = #"{"mediaType":"\#(MediaType.ociIndex)","digest":"\#(digest)","size":\#(index.utf8.count)}"#
        }
        try Data(#"{"schemaVersion":2,"manifests":[\#(below)]}"#.utf8).write(
            to: URL(fileURLWithPath: input + "/index.json"))
        return digests.reversed()
    }

    private func patchIndex(_ input: String, _ change: (String) -> String) throws {
        let path = input + "/index.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let changed = change(text)
        #expect(changed != text, "the patch applies")
        try Data(changed.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Writes a changed copy of the image's manifest and points `index.json` at it; returns its digest.
    @discardableResult
    private func relistManifest(
        _ fixture: LayoutFixture, _ input: String, _ image: Image, _ change: (String) -> String
    ) throws -> String {
        let bytes = try ImageLayout(path: input).readDocument(image.manifestDescriptor)
        let text = String(decoding: bytes, as: UTF8.self)
        let changed = change(text)
        #expect(changed != text, "the patch applies")
        let digest = try fixture.writeBlob(Array(changed.utf8), in: input)
        try patchIndex(input) {
            $0.replacingOccurrences(
                of: #""digest":"\#(image.manifestDescriptor.digest)","size":\#(bytes.count)"#,
                with: #""digest":"\#(digest)","size":\#(changed.utf8.count)"#)
        }
        return digest
    }
}

/// Releases a reader stuck in `open(2)` of a FIFO: after a grace period, opens the FIFO for writing (without
/// blocking) until stopped, so the reader sees end of file. A correct reader never opens the FIFO and the grace
/// period simply ends with `stop()`.
final class FIFOUnblocker: @unchecked Sendable {
    // Signalled once by `stop()`; the thread only waits on it.
    private let done = DispatchSemaphore(value: 0)

    init(path: String, after seconds: Double = 10) {
        let done = done
        Thread {
            guard done.wait(timeout: .now() + seconds) == .timedOut else { return }
            repeat {
                let descriptor = open(path, O_WRONLY | O_NONBLOCK)
                if descriptor >= 0 { close(descriptor) }
            } while done.wait(timeout: .now() + 0.1) == .timedOut
        }.start()
    }

    func stop() { done.signal() }
}
