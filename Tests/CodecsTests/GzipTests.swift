import ByteIO
import Codecs
import Testing

@Suite struct GzipTests {
    @Test func headerIsPinned() throws {
        let compressed = try compress(lcgText(count: 1000), .gzip)
        // ID1 ID2, CM 8 (deflate), FLG 0, MTIME 0, XFL 0 (zlib's value for level 6), OS 255 (unknown).
        #expect(Array(compressed.prefix(10)) == [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff])
        #expect(compressed[3] == 0, "no name, comment, extra field or header CRC")
        #expect(compressed[4..<8].allSatisfy { $0 == 0 }, "mtime 0")
        #expect(compressed[9] == 255, "OS unknown, as Go's compress/gzip writes")
    }

    @Test func trailerHoldsCRCAndLength() throws {
        let compressed = try compress(Array("abc".utf8), .gzip)
        // CRC-32 of "abc" is 0x352441c2, then ISIZE 3, both little-endian.
        #expect(Array(compressed.suffix(8)) == [0xc2, 0x41, 0x24, 0x35, 0x03, 0x00, 0x00, 0x00])
    }

    @Test(arguments: [1, 100, 65_536], [1, 4096, Int.max])
    func concatenatedMembersReadAsOneStream(readSize: Int, upstreamChunk: Int) throws {
        let first = lcgText(count: 70_000, seed: 1)
        let second = lcgText(count: 50_000, seed: 2)
        let joined = try compress(first, .gzip) + compress([], .gzip) + compress(second, .gzip)
        let restored = try decompress(joined, .gzip, readSize: readSize, upstreamChunk: upstreamChunk)
        #expect(restored == first + second)
    }

    @Test(arguments: [0, 1, 9, 10, 11, 500, -9, -8, -4, -1])
    func truncatedStreamsThrow(cut: Int) throws {
        let compressed = try compress(lcgText(count: 100_000), .gzip)
        let kept = Array(compressed.prefix(cut >= 0 ? cut : compressed.count + cut))
        let thrown = error { _ = try decompress(kept, .gzip, readSize: 1000) }
        #expect(thrown as? CodecError == .truncated(.gzip))
        #expect("\(try #require(thrown))" == "truncated gzip stream: the data ends before the gzip trailer")
    }

    @Test func aSecondMemberCutInItsHeaderIsTruncated() throws {
        let compressed = try compress(Array("abc".utf8), .gzip)
        let thrown = error { _ = try decompress(compressed + [0x1f], .gzip) }
        #expect(thrown as? CodecError == .truncated(.gzip))
    }

    /// Ways to break a gzip stream, each with the message the reader gives for it.
    enum Damage: String, CaseIterable, Sendable {
        case wrongCRC, wrongLength, unknownMethod, trailingGarbage, trailingZeros, zlibNotGzip

        func apply(to bytes: inout [UInt8]) {
            switch self {
            case .wrongCRC: bytes[bytes.count - 8] ^= 0xff
            case .wrongLength: bytes[bytes.count - 4] ^= 0x01
            case .unknownMethod: bytes[2] = 7
            case .trailingGarbage: bytes += Array("junk".utf8)
            case .trailingZeros: bytes += [0, 0, 0, 0]
            case .zlibNotGzip: bytes = [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
            }
        }

        var message: String {
            switch self {
            case .wrongCRC, .wrongLength: "CRC-32 or length in the trailer does not match the data"
            case .unknownMethod: "compression method 7 is not deflate"
            case .trailingGarbage, .trailingZeros, .zlibNotGzip: "not a gzip member header"
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func corruptStreamsThrowAClearMessage(damage: Damage) throws {
        var compressed = try compress(lcgText(count: 10_000), .gzip)
        damage.apply(to: &compressed)
        let thrown = error { _ = try decompress(compressed, .gzip) }
        #expect(thrown as? CodecError == .corrupt(.gzip, message: damage.message))
        #expect("\(try #require(thrown))" == "corrupt gzip stream: \(damage.message)")
    }

    @Test func anErrorSticks() throws {
        var compressed = try compress(lcgText(count: 10_000), .gzip)
        compressed[compressed.count - 8] ^= 0xff
        let source = try GzipDecompressor(upstream: MemorySource(compressed))
        let first = error { _ = try readToEnd(source, readSize: 100) }
        let second = error { _ = try readToEnd(source, readSize: 100) }
        #expect(first as? CodecError == .corrupt(.gzip, message: "CRC-32 or length in the trailer does not match the data"))
        #expect(second as? CodecError == first as? CodecError)
    }
}
