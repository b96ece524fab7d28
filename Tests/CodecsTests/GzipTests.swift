import ByteIO
import Codecs
import TestSupport
import Testing

/// The gzip readers this build has: the fastest (`GzipDecompressor`, ISA-L's where the build found it) and zlib's,
/// the fallback; both must read and refuse the same streams.
enum Inflater: String, CaseIterable, Sendable {
    case fastest, zlib

    func source(_ bytes: [UInt8], upstreamChunk: Int = .max) throws -> ByteSource {
        let upstream = TricklingSource(bytes, chunk: upstreamChunk)
        switch self {
        case .fastest: return try GzipDecompressor(upstream: upstream)
        case .zlib: return try ZlibGzipDecompressor(upstream: upstream)
        }
    }

    func inflate(_ bytes: [UInt8], readSize: Int = 64 * 1024, upstreamChunk: Int = .max) throws -> [UInt8] {
        try readToEnd(source(bytes, upstreamChunk: upstreamChunk), readSize: readSize)
    }

    /// Whether this is ISA-L's inflater, whose messages are ocislim's own (zlib's are zlib's).
    var isISAL: Bool { self == .fastest && !(GzipDecompressor.self == ZlibGzipDecompressor.self) }
}

@Suite struct GzipTests {
    @Test func headerIsPinned() throws {
        let compressed = try compress(lcgText(count: 1000), .gzip)
        // ID1 ID2, CM 8 (deflate), FLG 0, MTIME 0, XFL 0 (the level's flag: neither fastest nor strongest), OS 255.
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

    @Test(arguments: Inflater.allCases, [(1, 1), (100, 4096), (65_536, .max), (65_536, 1)])
    func concatenatedMembersReadAsOneStream(inflater: Inflater, sizes: (read: Int, upstream: Int)) throws {
        let first = lcgText(count: 70_000, seed: 1)
        let second = lcgText(count: 50_000, seed: 2)
        let joined = try compress(first, .gzip) + compress([], .gzip) + compress(second, .gzip)
        let restored = try inflater.inflate(joined, readSize: sizes.read, upstreamChunk: sizes.upstream)
        #expect(restored == first + second)
    }

    /// A stream of many 1 MiB members, as ocislim writes layers.
    @Test(arguments: Inflater.allCases)
    func readsOurMemberStreams(inflater: Inflater) throws {
        let text = lcgText(count: 3 * GzipMemberCompressor.blockSize + 777)
        #expect(try inflater.inflate(try compress(text, .gzip), readSize: 100_000, upstreamChunk: 12_345) == text)
    }

    @Test(arguments: Inflater.allCases, [0, 1, 9, 10, 11, 500, -9, -8, -4, -1])
    func truncatedStreamsThrow(inflater: Inflater, cut: Int) throws {
        let compressed = try compress(lcgText(count: 100_000), .gzip)
        let kept = Array(compressed.prefix(cut >= 0 ? cut : compressed.count + cut))
        let thrown = error { _ = try inflater.inflate(kept, readSize: 1000) }
        #expect(thrown as? CodecError == .truncated(.gzip))
        #expect("\(try #require(thrown))" == "truncated gzip stream: the data ends before the gzip trailer")
    }

    @Test(arguments: Inflater.allCases)
    func aSecondMemberCutInItsHeaderIsTruncated(inflater: Inflater) throws {
        let compressed = try compress(Array("abc".utf8), .gzip)
        let thrown = error { _ = try inflater.inflate(compressed + [0x1f]) }
        #expect(thrown as? CodecError == .truncated(.gzip))
    }

    /// Ways to break a gzip stream, each with the message each reader gives for it.
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

        func message(from inflater: Inflater) -> String {
            switch (self, inflater.isISAL) {
            case (.wrongCRC, true), (.wrongLength, true): "CRC-32 or length in the trailer does not match the data"
            case (.unknownMethod, true): "compression method 7 is not deflate"
            case (.trailingGarbage, true), (.trailingZeros, true), (.zlibNotGzip, true): "not a gzip member header"
            case (.wrongCRC, false): "incorrect data check"
            case (.wrongLength, false): "incorrect length check"
            case (.unknownMethod, false): "unknown compression method"
            case (.trailingGarbage, false), (.trailingZeros, false), (.zlibNotGzip, false): "incorrect header check"
            }
        }
    }

    @Test(arguments: Inflater.allCases, Damage.allCases)
    func corruptStreamsThrowAClearMessage(inflater: Inflater, damage: Damage) throws {
        var compressed = try compress(lcgText(count: 10_000), .gzip)
        damage.apply(to: &compressed)
        let thrown = error { _ = try inflater.inflate(compressed) }
        #expect(thrown as? CodecError == .corrupt(.gzip, message: damage.message(from: inflater)))
        #expect("\(try #require(thrown))" == "corrupt gzip stream: \(damage.message(from: inflater))")
    }

    @Test(arguments: Inflater.allCases)
    func anErrorSticks(inflater: Inflater) throws {
        var compressed = try compress(lcgText(count: 10_000), .gzip)
        compressed[compressed.count - 8] ^= 0xff
        let source = try inflater.source(compressed)
        let first = error { _ = try readToEnd(source, readSize: 100) }
        let second = error { _ = try readToEnd(source, readSize: 100) }
        #expect(first as? CodecError == .corrupt(.gzip, message: Damage.wrongCRC.message(from: inflater)))
        #expect(second as? CodecError == first as? CodecError)
    }
}
