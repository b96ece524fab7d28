import ByteIO
import Codecs
import TestSupport
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

/// zstd on several cores: the frame must be the same bytes whatever the number of threads.
@Suite struct ZstdThreadTests {
    /// 20 MiB of text and random bytes in 2 MiB runs: at level 3 libzstd cuts 8 MiB jobs, so three jobs, each
    /// primed with the end of the one before, and runs its workers can both compress and store raw.
    static let input: [UInt8] = (0..<10).flatMap { run in
        run.isMultiple(of: 2) ? lcgText(count: 2 << 20, seed: UInt32(run)) : lcgBytes(count: 2 << 20, seed: UInt32(run))
    }

    static func compress(_ bytes: [UInt8], threads: Int?, level: Int32 = 3, writeSize: Int = 1 << 20) throws
        -> [UInt8]
    {
        let memory = MemorySink()
        let compressor = try ZstdCompressor(level: level, threads: threads, downstream: memory)
        try bytes.withUnsafeBytes { all in
            for start in stride(from: 0, to: all.count, by: writeSize) {
                try compressor.write(UnsafeRawBufferPointer(rebasing: all[start..<min(start + writeSize, all.count)]))
            }
        }
        try compressor.finish()
        return memory.bytes
    }

    static let oneThread = Result { try compress(input, threads: 1) }

    @Test(arguments: [2, 3, 8, 16])
    func outputDoesNotDependOnTheThreadCount(threads: Int) throws {
        let compressed = try Self.compress(Self.input, threads: threads)
        #expect(compressed == (try Self.oneThread.get()))
        #expect(try decompress(compressed, .zstd, readSize: 1 << 20) == Self.input)
    }

    @Test func theDefaultThreadCountWritesTheSameBytes() throws {
        #expect(try Self.compress(Self.input, threads: nil) == Self.oneThread.get())
    }

    @Test(arguments: [13, 4093, 8 << 20])
    func outputDoesNotDependOnWriteSizesWithManyThreads(writeSize: Int) throws {
        #expect(try Self.compress(Self.input, threads: 16, writeSize: writeSize) == Self.oneThread.get())
    }

    @Test(arguments: [-5, 1, 9] as [Int32])
    func otherLevelsDoNotDependOnTheThreadCount(level: Int32) throws {
        let input = Array(Self.input.prefix(12 << 20))
        let one = try Self.compress(input, threads: 1, level: level)
        #expect(try Self.compress(input, threads: 5, level: level) == one)
        #expect(try decompress(one, .zstd, readSize: 1 << 20) == input)
    }

    // An independent writer of the same frames: the zstd CLI with one worker thread (its default mode) and no
    // checksum. Its `--single-thread` mode writes other bytes, so this also shows one thread is not libzstd's
    // single-threaded mode.
    @Test(.enabled(if: toolExists("zstd")))
    func theZstdCLIWithWorkerThreadsWritesTheSameBytes() throws {
        let run = try runTool(["zstd", "-3", "-T1", "--no-check", "-c"], input: Self.input)
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output == (try Self.oneThread.get()))
        let singleThreaded = try runTool(["zstd", "-3", "--single-thread", "--no-check", "-c"], input: Self.input)
        #expect(singleThreaded.output != (try Self.oneThread.get()))
    }

    // With one worker, level 1 (2 MiB jobs) and at most 4 jobs in flight, 16 MiB make write() wait for the first
    // job and hand its output downstream, where it fails; the failure then sticks.
    @Test func aDownstreamFailureInWriteSticks() throws {
        let compressor = try ZstdCompressor(level: 1, threads: 1, downstream: FailingSink())
        let first = error { try compressor.write(lcgBytes(count: 16 << 20)) }
        #expect(first as? FailingSink.Failure == .refused)
        #expect(error { try compressor.write([1]) } as? FailingSink.Failure == .refused)
        #expect(error { try compressor.finish() } as? FailingSink.Failure == .refused)
    }

    // Below one means one worker; above libzstd's limit (200), its limit.
    @Test(arguments: [0, -3, 1_000_000])
    func threadCountsOutOfRangeAreClamped(threads: Int) throws {
        #expect(try Self.compress(Self.input, threads: threads) == Self.oneThread.get())
    }
}
