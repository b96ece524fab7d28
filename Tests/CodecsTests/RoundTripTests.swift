import ByteIO
import Codecs
import TestSupport
import Testing

@Suite struct RoundTripTests {
    static let compressing: [Compression] = [.gzip, .zstd]
    // 1-byte steps, odd sizes that straddle block and buffer edges, and sizes beyond the 256 KiB internal buffers.
    static let chunkSizes = [1, 7, 4096, 65_537, 262_144, 1_000_000]

    @Test(arguments: compressing, chunkSizes)
    func writesOfAnySize(codec: Compression, writeSize: Int) throws {
        let text = lcgText(count: 300_000)
        #expect(try decompress(compress(text, codec, writeSize: writeSize), codec) == text)
    }

    @Test(arguments: compressing, chunkSizes)
    func readsOfAnySize(codec: Compression, readSize: Int) throws {
        let text = lcgText(count: 300_000)
        #expect(try decompress(compress(text, codec), codec, readSize: readSize) == text)
    }

    @Test(arguments: compressing, [1, 3, 1000, 262_145])
    func upstreamInSmallPieces(codec: Compression, upstreamChunk: Int) throws {
        let text = lcgText(count: 300_000)
        #expect(try decompress(compress(text, codec), codec, readSize: 4093, upstreamChunk: upstreamChunk) == text)
    }

    @Test(arguments: compressing)
    func incompressibleDataLargerThanTheBuffers(codec: Compression) throws {
        let bytes = lcgBytes(count: 700_000)
        let compressed = try compress(bytes, codec, writeSize: 100_003)
        #expect(compressed.count > 262_144, "the compressed stream spans several input buffers")
        #expect(try decompress(compressed, codec, readSize: 333_333) == bytes)
    }

    @Test(arguments: compressing)
    func emptyInputMakesAValidEmptyStream(codec: Compression) throws {
        let compressed = try compress([], codec)
        #expect(!compressed.isEmpty)
        #expect(try decompress(compressed, codec) == [])
    }

    @Test(arguments: compressing)
    func outputDoesNotDependOnWriteSizes(codec: Compression) throws {
        let text = lcgText(count: 300_000)
        let whole = try compress(text, codec, writeSize: text.count)
        #expect(try compress(text, codec, writeSize: 1) == whole)
        #expect(try compress(text, codec, writeSize: 1000) == whole)
    }

    @Test(arguments: compressing)
    func everyLevelRoundTrips(codec: Compression) throws {
        let text = lcgText(count: 50_000)
        let levels = try #require(codec.levels)
        for level in [levels.lowerBound, try #require(codec.defaultLevel), levels.upperBound] {
            #expect(try decompress(compress(text, codec, level: level), codec) == text, "level \(level)")
        }
    }

    @Test func defaultLevels() throws {
        #expect(Compression.gzip.defaultLevel == 5)
        #expect(Compression.zstd.defaultLevel == 3)
        #expect(Compression.uncompressed.defaultLevel == nil)
        #expect(try compress(lcgText(count: 10_000), .gzip) == compress(lcgText(count: 10_000), .gzip, level: 5))
        #expect(try compress(lcgText(count: 10_000), .zstd) == compress(lcgText(count: 10_000), .zstd, level: 3))
    }

    @Test func noneIsTheStreamItself() throws {
        let source = MemorySource([1, 2, 3])
        let sink = MemorySink()
        #expect(try makeDecompressingSource(.uncompressed, upstream: source) === source)
        #expect(try makeCompressingSink(.uncompressed, level: 9, downstream: sink) === sink)
    }

    @Test(arguments: compressing)
    func finishTwiceWritesTheTrailerOnce(codec: Compression) throws {
        let memory = MemorySink()
        let sink = try makeCompressingSink(codec, downstream: memory)
        try sink.write(Array("hello".utf8))
        try sink.finish()
        let once = memory.bytes
        try sink.finish()
        #expect(memory.bytes == once)
        #expect(try decompress(once, codec) == Array("hello".utf8))
    }

    @Test(arguments: compressing)
    func writeAfterFinishThrows(codec: Compression) throws {
        let sink = try makeCompressingSink(codec, downstream: MemorySink())
        try sink.finish()
        let thrown = error { try sink.write([1]) }
        #expect(thrown as? CodecError == .writeAfterFinish(codec))
        #expect("\(try #require(thrown))" == "\(codec) stream written after finish()")
    }

    @Test func unsupportedLevelsThrow() throws {
        let gzip = error { _ = try GzipCompressor(level: 10, downstream: MemorySink()) }
        #expect(gzip as? CodecError == .unsupportedLevel(.gzip, level: 10, levels: 0...9))
        #expect("\(try #require(gzip))" == "gzip level 10 is not supported; use 0 to 9")

        let zstd = error { _ = try ZstdCompressor(level: 99, downstream: MemorySink()) }
        #expect(zstd as? CodecError == .unsupportedLevel(.zstd, level: 99, levels: ZstdCompressor.levels))
    }

    @Test(arguments: compressing)
    func readAfterTheEndKeepsReturningZero(codec: Compression) throws {
        let source = try makeDecompressingSource(codec, upstream: MemorySource(compress([1, 2, 3], codec)))
        #expect(try readToEnd(source, readSize: 2) == [1, 2, 3])
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(try buffer.withUnsafeMutableBytes { try source.read(into: $0) } == 0)
    }

    @Test(arguments: compressing)
    func aDownstreamFailureSticks(codec: Compression) throws {
        let sink = try makeCompressingSink(codec, level: 1, threads: 1, downstream: FailingSink())
        // Incompressible bytes beyond a batch of blocks (gzip: two 1 MiB blocks per thread) force a write downstream
        // before finish(); zstd's workers may keep theirs until finish() (ZstdThreadTests forces one in write()).
        let first = error {
            try sink.write(lcgBytes(count: 3 << 20))
            try sink.finish()
        }
        #expect(first as? FailingSink.Failure == .refused)
        #expect(error { try sink.write([1]) } as? FailingSink.Failure == .refused)
        #expect(error { try sink.finish() } as? FailingSink.Failure == .refused)
    }
}
