import Codecs
import Foundation
import OCIImage
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// Bad input fails with a message naming the culprit and leaves no output behind.
@Suite struct BadInputTests {
    /// A valid one-layer Python image to break.
    private func makeInput(_ fixture: LayoutFixture, compression: Compression = .gzip) throws -> (
        String, Descriptor
    ) {
        let input = try fixture.writeSmallPythonLayout(compression: compression)
        let index = try ImageIndex.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: input + "/index.json"))), what: "index")
        let manifestBytes = try ImageLayout(path: input).readDocument(try #require(index.manifests.first))
        let manifest = try ImageManifest.decode(manifestBytes, what: "manifest")
        return (input, try #require(manifest.layers.first))
    }

    /// Runs a rewrite that must fail; returns the error text (`RefusedRewrite` checks nothing was left behind).
    private func failure(_ fixture: LayoutFixture, input: String) async throws -> String {
        try await RefusedRewrite.message(fixture, input: input)
    }

    private func blobPath(_ input: String, _ descriptor: Descriptor) -> String {
        "\(input)/blobs/sha256/\(descriptor.digest.encoded)"
    }

    @Test func missingBlob() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, layer) = try makeInput(fixture)
        try FileManager.default.removeItem(atPath: blobPath(input, layer))
        let message = try await failure(fixture, input: input)
        #expect(message == "blob \(layer.digest) is missing (\(blobPath(input, layer)))")
    }

    /// An `index.json` entry of a type ocislim does not know is copied as it is; its missing blob is refused when the
    /// graph is read, before any layer (here a broken one) is scanned.
    @Test func aMissingBlobOfAnUnknownEntryIsRefusedBeforeTheScan() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, layer) = try makeInput(fixture)
        try Data("not a layer".utf8).write(to: URL(fileURLWithPath: blobPath(input, layer)))
        let missing = try Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))
        var index = try LayoutFixture.document(input)
        let entry = JSONValue.object([
            "mediaType": .string("application/vnd.example.thing+json"), "digest": .string(missing.description),
            "size": .integer(2),
        ])
        index["manifests"] = .array((index["manifests"]?.arrayValue ?? []) + [entry])
        try Data(try index.encoded()).write(to: URL(fileURLWithPath: input + "/index.json"))
        let message = try await failure(fixture, input: input)
        #expect(message == "blob \(missing) is missing (\(input)/blobs/sha256/\(missing.encoded))")
    }

    @Test func digestMismatch() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, layer) = try makeInput(fixture)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: blobPath(input, layer))))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: blobPath(input, layer)))
        let message = try await failure(fixture, input: input)
        // Flipping a byte inside deflate data is caught by zlib or by the digest check, whichever reads it first.
        #expect(
            message.hasPrefix("blob \(layer.digest): content hashes to sha256:")
                || message.hasPrefix("layer \(layer.digest): corrupt gzip stream")
        )
    }

    @Test func digestMismatchOfADocument() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        let index = try ImageIndex.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: input + "/index.json"))), what: "index")
        let manifest = try #require(index.manifests.first)
        let path = "\(input)/blobs/sha256/\(manifest.digest.encoded)"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 2] = UInt8(ascii: " ")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let message = try await failure(fixture, input: input)
        #expect(message.hasPrefix("blob \(manifest.digest): content hashes to sha256:"))
    }

    @Test func sizeMismatch() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, layer) = try makeInput(fixture)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: blobPath(input, layer)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let message = try await failure(fixture, input: input)
        #expect(message == "blob \(layer.digest): larger than the \(layer.size) bytes its descriptor says")
    }

    @Test func truncatedGzip() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, layer) = try makeInput(fixture)
        // Cut the blob and make every descriptor agree, so only decompression can notice.
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: blobPath(input, layer))))
        let cut = Array(original.dropLast(6))
        try FileManager.default.removeItem(atPath: blobPath(input, layer))
        let newDigest = try fixture.writeBlob(cut, in: input)
        try replaceEverywhere(
            in: input, layer.digest.description, with: newDigest, size: (layer.size, Int64(cut.count)))
        let message = try await failure(fixture, input: input)
        #expect(message == "layer \(newDigest): truncated gzip stream: the data ends before the gzip trailer")
    }

    @Test func compressionThatContradictsTheMediaType() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(
                        entries: [.text("a.txt", "a")], compression: .uncompressed, mediaType: MediaType.ociLayerGzip)
                ]
            ])
        let message = try await failure(fixture, input: input)
        #expect(
            message.hasSuffix(
                "media type \(MediaType.ociLayerGzip) does not match its content, which is not gzip or zstd"))
    }

    @Test func invalidIndexJSON() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        try Data("{\"schemaVersion\": 2, \"manifests\": [".utf8).write(to: URL(fileURLWithPath: input + "/index.json"))
        let message = try await failure(fixture, input: input)
        #expect(message.hasPrefix("\(input)/index.json: invalid JSON: "))
    }

    @Test func missingLayoutMarker() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        try FileManager.default.removeItem(atPath: input + "/oci-layout")
        let message = try await failure(fixture, input: input)
        #expect(message == "\(input) is not an OCI image layout: oci-layout is missing")
    }

    @Test func diffIDThatDoesNotMatchTheLayer() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, layer) = try makeInput(fixture)
        let index = try ImageIndex.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: input + "/index.json"))), what: "index")
        let manifest = try ImageManifest.decode(
            try ImageLayout(path: input).readDocument(try #require(index.manifests.first)), what: "m")
        let config = String(decoding: try ImageLayout(path: input).readDocument(manifest.config), as: UTF8.self)
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        let broken = config.replacingOccurrences(
            of: #"diff_ids":\["sha256:[0-9a-f]{64}"#, with: #"diff_ids":["\#(wrong)"#, options: .regularExpression
        )
        let newConfig = try fixture.writeBlob(Array(broken.utf8), in: input)
        try replaceEverywhere(in: input, manifest.config.digest.description, with: newConfig, size: nil)
        let message = try await failure(fixture, input: input)
        #expect(message.hasPrefix("layer \(layer.digest): config sha256:"))
        #expect(message.contains("lists diff_id \(wrong), but the uncompressed layer hashes to sha256:"))
    }

    @Test func outputThatIsNotEmpty() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        let output = fixture.path("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: output + "/keep.txt"))
        await #expect {
            _ = try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: .dedup)).run()
        } throws: { error in
            "\(error)" == "output \(URL(fileURLWithPath: output).standardizedFileURL.path) exists and is not empty"
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/keep.txt")) == Data("precious".utf8))
    }

    @Test func anEmptyOutputDirectoryIsReplaced() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (input, _) = try makeInput(fixture)
        let output = fixture.path("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        _ = try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: .dedup)).run()
        #expect(FileManager.default.fileExists(atPath: output + "/index.json"))
    }

    /// Rewrites a digest (and optionally a size) in every JSON document of a layout, re-hashing changed blobs,
    /// so that a deliberately broken blob is still referenced consistently.
    private func replaceEverywhere(in layout: String, _ old: String, with new: String, size: (Int64, Int64)?) throws {
        var renames = [(old, new, size)]
        while let (from, to, sizes) = renames.popLast() {
            for name in try FileManager.default.contentsOfDirectory(atPath: layout + "/blobs/sha256") + [
                "../../index.json"
            ] {
                let path = "\(layout)/blobs/sha256/\(name)"
                guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20,
                    let text = String(data: data, encoding: .utf8), text.contains(from)
                else { continue }
                var patched = text.replacingOccurrences(of: from, with: to)
                if let (oldSize, newSize) = sizes {
                    patched = patched.replacingOccurrences(
                        of: "\"\(to)\",\"size\":\(oldSize)", with: "\"\(to)\",\"size\":\(newSize)")
                }
                if name.hasPrefix("..") {
                    try Data(patched.utf8).write(to: URL(fileURLWithPath: path))
                } else {
                    try FileManager.default.removeItem(atPath: path)
                    let digest = try LayoutFixture(root: layout).writeBlob(Array(patched.utf8), in: layout)
                    renames.append(("sha256:\(name)", digest, (Int64(data.count), Int64(patched.utf8.count))))
                }
            }
        }
    }
}
