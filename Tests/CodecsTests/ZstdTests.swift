import ByteIO
import Codecs
import Testing

@Suite struct ZstdTests {
    @Test func frameHeaderHasNoChecksumAndNoContentSize() throws {
        let compressed = try compress(lcgText(count: 1000), .zstd)
        #expect(Array(compressed.prefix(4)) == [0x28, 0xb5, 0x2f, 0xfd])
        // Frame header descriptor: no content size (the stream's length is unknown up front), not single-segment,
        // no checksum, no dictionary ID.
        #expect(compressed[4] == 0x00)
    }

    @Test(arguments: [1, 100, 65_536], [1, 4096, Int.max])
    func concatenatedFramesReadAsOneStream(readSize: Int, upstreamChunk: Int) throws {
        let first = lcgText(count: 70_000, seed: 1)
        let second = lcgText(count: 50_000, seed: 2)
        // A skippable frame: magic 0x184d2a50, then a 4-byte little-endian length and that many bytes to skip.
        let skippable: [UInt8] = [0x50, 0x2a, 0x4d, 0x18, 0x03, 0x00, 0x00, 0x00, 0xaa, 0xbb, 0xcc]
        let joined = try compress(first, .zstd) + compress([], .zstd) + skippable + compress(second, .zstd)
        let restored = try decompress(joined, .zstd, readSize: readSize, upstreamChunk: upstreamChunk)
        #expect(restored == first + second)
    }

    @Test(arguments: [0, 1, 4, 5, 6, 9, 500, -3, -1])
    func truncatedStreamsThrow(cut: Int) throws {
        let compressed = try compress(lcgText(count: 100_000), .zstd)
        let kept = Array(compressed.prefix(cut >= 0 ? cut : compressed.count + cut))
        let thrown = error { _ = try decompress(kept, .zstd, readSize: 1000) }
        #expect(thrown as? CodecError == .truncated(.zstd))
        #expect("\(try #require(thrown))" == "truncated zstd stream: the data ends before the end of a zstd frame")
    }

    /// Ways to break a zstd stream, each with the message `ZSTD_getErrorName` gives for it.
    enum Damage: String, CaseIterable, Sendable {
        case wrongMagic, reservedBlockType, trailingGarbage, trailingZeros, gzipNotZstd

        func apply(to bytes: inout [UInt8]) {
            switch self {
            case .wrongMagic: bytes[0] ^= 0xff
            // The first block header follows the 6-byte frame header; bits 1-2 set to 3 name the reserved type.
            case .reservedBlockType: bytes[6] |= 0b110
            case .trailingGarbage: bytes += Array("not a zstd frame".utf8)
            case .trailingZeros: bytes += [0, 0, 0, 0, 0, 0, 0, 0]
            case .gzipNotZstd: bytes = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x03, 0x00]
            }
        }

        var message: String {
            switch self {
            case .reservedBlockType: "Data corruption detected"
            case .wrongMagic, .trailingGarbage, .trailingZeros, .gzipNotZstd: "Unknown frame descriptor"
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func corruptStreamsThrowZstdsMessage(damage: Damage) throws {
        var compressed = try compress(lcgText(count: 10_000), .zstd)
        damage.apply(to: &compressed)
        let thrown = error { _ = try decompress(compressed, .zstd) }
        #expect(thrown as? CodecError == .corrupt(.zstd, message: damage.message))
        #expect("\(try #require(thrown))" == "corrupt zstd stream: \(damage.message)")
    }

    @Test func anErrorSticks() throws {
        var compressed = try compress(lcgText(count: 10_000), .zstd)
        compressed += try Array("not a zstd frame".utf8) + compress(lcgText(count: 10), .zstd)
        let source = try ZstdDecompressor(upstream: MemorySource(compressed))
        let first = error { _ = try readToEnd(source, readSize: 100) }
        let second = error { _ = try readToEnd(source, readSize: 100) }
        #expect(first as? CodecError == .corrupt(.zstd, message: "Unknown frame descriptor"))
        #expect(second as? CodecError == first as? CodecError)
    }
}
