import ByteIO
import Hashing
import Testing

@Suite struct SHA256HasherTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownVectors(input: String, expected: String) throws {
        #expect(try SHA256Hasher.hash(Array(input.utf8)).hexString == expected)
    }

    @Test func incrementalEqualsOneShot() throws {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = try SHA256Hasher()
        for chunk in stride(from: 0, to: bytes.count, by: 777) {
            try hasher.update(Array(bytes[chunk..<min(chunk + 777, bytes.count)]))
        }
        #expect(try hasher.finalize() == SHA256Hasher.hash(bytes))
        #expect(try hasher.finalize() == hasher.finalize(), "finalize is idempotent")
    }

    @Test func hashingSinkAndSourceCountAndForward() throws {
        let bytes = Array("hello, layer".utf8)
        let memory = MemorySink()
        let sink = try HashingSink(memory)
        try sink.write(bytes)
        try sink.finish()
        #expect(memory.bytes == bytes)
        #expect(sink.count == Int64(bytes.count))

        let source = try HashingSource(MemorySource(bytes))
        let copied = MemorySink()
        try source.copy(to: copied)
        #expect(copied.bytes == bytes)
        #expect(try source.hexDigest() == sink.hexDigest())
    }
}
