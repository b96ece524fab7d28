import ByteIO
import Foundation
import Hashing
import OCIImage
import Testing

@Suite struct DigestTests {
    static let hex = String(repeating: "ab", count: 32)

    @Test func parsesSHA256() throws {
        let digest = try Digest(parsing: "sha256:\(Self.hex)")
        #expect(
            digest.algorithm == "sha256" && digest.encoded == Self.hex && digest.short == String(Self.hex.prefix(12)))
    }

    @Test(arguments: [
        (
            "sha256:\(String(repeating: "AB", count: 32))",
            "invalid digest \"sha256:\(String(repeating: "AB", count: 32))\""
        ),
        ("sha256:abc", "invalid digest \"sha256:abc\""),
        ("nocolon", "invalid digest \"nocolon\""),
        (
            "sha512:\(String(repeating: "ab", count: 64))",
            "unsupported digest algorithm in \"sha512:\(String(repeating: "ab", count: 64))\" (only sha256)"
        ),
    ])
    func rejectsInvalidDigests(text: String, message: String) {
        #expect { try Digest(parsing: text) } throws: { "\($0)" == message }
    }
}

@Suite struct JSONValueTests {
    @Test func keepsEveryFieldThroughAPatch() throws {
        let text =
            #"{"b":[1,2.5,true,null,"x/y"],"a":{"digest":"old","size":1,"annotations":{"k":"v"}},"z":-9007199254740993}"#
        var value = try JSONValue.parse(Array(text.utf8), what: "doc")
        value["a"]?.setDescriptorTarget(digest: try Digest(parsing: "sha256:\(DigestTests.hex)"), size: 42)
        let encoded = String(decoding: try value.encoded(), as: UTF8.self)
        #expect(
            encoded
                == #"{"a":{"annotations":{"k":"v"},"digest":"sha256:\#(DigestTests.hex)","size":42},"b":[1,2.5,true,null,"x/y"],"z":-9007199254740993}"#
        )
    }

    @Test func namesTheDocumentInErrors() {
        #expect { try JSONValue.parse(Array("{".utf8), what: "blob sha256:x") } throws: {
            "\($0)".hasPrefix("blob sha256:x: invalid JSON: ")
        }
    }
}

@Suite struct ImageLayoutTests {
    private func makeDirectory(_ marker: String?) throws -> String {
        let path = NSTemporaryDirectory() + "layout-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if let marker { try Data(marker.utf8).write(to: URL(fileURLWithPath: path + "/oci-layout")) }
        return path
    }

    @Test func refusesUnknownLayoutVersions() throws {
        let path = try makeDirectory(#"{"imageLayoutVersion":"2.0.0"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { try ImageLayout(path: path) } throws: {
            "\($0)" == "\(path)/oci-layout: unsupported imageLayoutVersion \"2.0.0\" (expected 1.0.0)"
        }
    }

    @Test func verifiesBlobsAsTheyStream() throws {
        let path = try makeDirectory(#"{"imageLayoutVersion":"1.0.0"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: path + "/blobs/sha256", withIntermediateDirectories: true)
        let bytes = Array("layer bytes".utf8)
        let digest = Digest(sha256Hex: try SHA256Hasher.hash(bytes).hexString)
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/blobs/sha256/" + digest.encoded))
        let layout = try ImageLayout(path: path)
        let good = Descriptor(mediaType: "x", digest: digest, size: Int64(bytes.count))
        #expect(try layout.readDocument(good) == bytes)
        let long = Descriptor(mediaType: "x", digest: digest, size: 40)
        #expect { try layout.readDocument(long) } throws: {
            "\($0)" == "blob \(digest): size is 11 bytes, its descriptor says 40"
        }
        let short = Descriptor(mediaType: "x", digest: digest, size: 4)
        #expect { try layout.readDocument(short) } throws: {
            "\($0)" == "blob \(digest): larger than the 4 bytes its descriptor says"
        }
        try Data("layer bytez".utf8).write(to: URL(fileURLWithPath: path + "/blobs/sha256/" + digest.encoded))
        #expect { try layout.readDocument(good) } throws: {
            "\($0)".hasPrefix("blob \(digest): content hashes to sha256:")
        }
    }

    @Test func blobWritersCommitUnderTheirDigestAndCleanUpOtherwise() throws {
        let path = try makeDirectory(nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try LayoutBlobStore(layoutPath: path)
        let descriptor = try store.store(Array("{}".utf8), mediaType: MediaType.ociConfig)
        #expect(descriptor.digest.encoded == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        #expect(store.contains(descriptor.digest))
        do {
            let abandoned = try store.makeWriter()
            try abandoned.write(Array("partial".utf8))
        }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: try #require(store.directory)) == [
                descriptor.digest.encoded
            ])
    }

    /// A blob's temp file is what an interrupted run would leave in an existing layout (`oci:DIR:NAME`), whose
    /// directory the signal handler does not remove: it is registered for removal while the writer lives.
    @Test func aBlobBeingWrittenIsRemovedOnInterruption() throws {
        let path = try makeDirectory(nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try LayoutBlobStore(layoutPath: path)
        let directory = try #require(store.directory)
        let temporary: String
        do {
            let writer = try store.makeWriter()
            try writer.write(Array("partial".utf8))
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first)
            temporary = directory + "/" + name
            #expect(StagingRegistry.shared.isRegistered(temporary))
            _ = try writer.commit()
        }
        #expect(!StagingRegistry.shared.isRegistered(temporary))
    }

    /// The counting store (`audit`) keeps nothing, but still reads and verifies a blob this run has not verified;
    /// one the scan already verified costs nothing.
    @Test func theCountingStoreVerifiesWhatWasNotVerifiedBefore() throws {
        let input = try makeDirectory(#"{"imageLayoutVersion":"1.0.0"}"#)
        defer { try? FileManager.default.removeItem(atPath: input) }
        try FileManager.default.createDirectory(atPath: input + "/blobs/sha256", withIntermediateDirectories: true)
        let digest = Digest(sha256Hex: try SHA256Hasher.hash(Array("good".utf8)).hexString)
        try Data("evil".utf8).write(to: URL(fileURLWithPath: input + "/blobs/sha256/" + digest.encoded))
        let layout = try ImageLayout(path: input)
        let descriptor = Descriptor(mediaType: "x", digest: digest, size: 4)
        let store = CountingBlobStore()
        #expect { try store.copy(descriptor, from: layout, threads: 1, verifiedBefore: false) } throws: {
            "\($0)".hasPrefix("blob \(digest): content hashes to sha256:")
        }
        try store.copy(descriptor, from: layout, threads: 1, verifiedBefore: true)
        let stored = try store.store(Array("good".utf8), mediaType: "x")
        #expect(stored.digest == digest && stored.size == 4)
    }

    /// A copied blob is verified by its reader (the writer trusts that and does not hash again): a blob whose bytes
    /// no longer match its digest is refused and leaves no file behind, on one thread or two.
    @Test(arguments: [1, 2])
    func copiesVerifyTheBlobAndLeaveNothingWhenItIsWrong(threads: Int) throws {
        let input = try makeDirectory(#"{"imageLayoutVersion":"1.0.0"}"#)
        let output = try makeDirectory(nil)
        defer {
            try? FileManager.default.removeItem(atPath: input)
            try? FileManager.default.removeItem(atPath: output)
        }
        try FileManager.default.createDirectory(atPath: input + "/blobs/sha256", withIntermediateDirectories: true)
        let bytes = [UInt8]((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let digest = Digest(sha256Hex: try SHA256Hasher.hash(bytes).hexString)
        let blobPath = input + "/blobs/sha256/" + digest.encoded
        try Data(bytes).write(to: URL(fileURLWithPath: blobPath))
        let layout = try ImageLayout(path: input)
        let store = try LayoutBlobStore(layoutPath: output)
        let descriptor = Descriptor(mediaType: "x", digest: digest, size: Int64(bytes.count))

        try store.copy(descriptor, from: layout, threads: threads, verifiedBefore: false)
        let directory = store.directory
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + digest.encoded)) == Data(bytes))

        try FileManager.default.removeItem(atPath: directory + "/" + digest.encoded)
        var tampered = bytes
        tampered[2_500_000] ^= 1
        try Data(tampered).write(to: URL(fileURLWithPath: blobPath))
        #expect { try store.copy(descriptor, from: layout, threads: threads, verifiedBefore: true) } throws: {
            "\($0)".hasPrefix("blob \(digest): content hashes to sha256:")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}
