import Codecs
import TestSupport
import Testing

@Suite struct SniffTests {
    @Test(
        arguments: [
            ([0x1f, 0x8b, 0x08, 0x00], Compression.gzip),
            ([0x1f, 0x8b], .gzip),
            ([0x28, 0xb5, 0x2f, 0xfd, 0x00], .zstd),
            ([0x28, 0xb5, 0x2f, 0xfd], .zstd),
            ([0x28, 0xb5, 0x2f], .uncompressed),
            ([0x1f], .uncompressed),
            ([], .uncompressed),
            ([0x1f, 0x8c], .uncompressed),
            ([0x78, 0x9c], .uncompressed),
            (Array("usr/\0\0\0".utf8), .uncompressed),
        ] as [([UInt8], Compression)])
    func sniffsTheMagicNumber(prefix: [UInt8], expected: Compression) {
        #expect(Compression.sniff(prefix) == expected)
    }

    @Test(arguments: [Compression.gzip, .zstd])
    func sniffsWhatTheCompressorsWrite(codec: Compression) throws {
        #expect(Compression.sniff(Array(try compress([1, 2, 3], codec).prefix(4))) == codec)
    }

    @Test func rawValuesAreTheCodecNames() {
        #expect(Compression.allCases.map(\.rawValue) == ["none", "gzip", "zstd"])
    }
}
