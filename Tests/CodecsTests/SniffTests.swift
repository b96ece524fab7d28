import Codecs
import TestSupport
import Testing

@Suite struct SniffTests {
    @Test(
        arguments: [
            ([0x1f, 0x8b, 0x08, 0x00], Codec.gzip),
            ([0x1f, 0x8b], .gzip),
            ([0x28, 0xb5, 0x2f, 0xfd, 0x00], .zstd),
            ([0x28, 0xb5, 0x2f, 0xfd], .zstd),
            ([0x28, 0xb5, 0x2f], .none),
            ([0x1f], .none),
            ([], .none),
            ([0x1f, 0x8c], .none),
            ([0x78, 0x9c], .none),
            (Array("usr/\0\0\0".utf8), .none),
        ] as [([UInt8], Codec)])
    func sniffsTheMagicNumber(prefix: [UInt8], expected: Codec) {
        #expect(Codec.sniff(prefix) == expected)
    }

    @Test(arguments: [Codec.gzip, .zstd])
    func sniffsWhatTheCompressorsWrite(codec: Codec) throws {
        #expect(Codec.sniff(Array(try compress([1, 2, 3], codec).prefix(4))) == codec)
    }

    @Test func rawValuesAreTheCodecNames() {
        #expect(Codec.allCases.map(\.rawValue) == ["none", "gzip", "zstd"])
    }
}
