import ByteIO
import Codecs
import TestSupport
import Testing

@Suite struct ReadAheadDecompressionTests {
    /// Decompression runs ahead when the caller allows threads; the bytes are the same.
    @Test(arguments: [Compression.uncompressed, .gzip, .zstd])
    func decompressingAheadGivesTheSameBytes(codec: Compression) throws {
        let text = lcgText(count: 3 << 20)
        let source = try makeDecompressingSource(
            codec, upstream: MemorySource(try compress(text, codec)), threads: 2
        )
        #expect(source is ReadAheadSource)
        #expect(try readToEnd(source, readSize: 100_000) == text)
    }
}
