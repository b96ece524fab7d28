import ByteIO
import Codecs
import Foundation
import Hashing
import Testing

@Suite struct GzipBlockCompressorTests {
    static let block = GzipBlockCompressor.blockSize
    /// Text and incompressible data around every block edge.
    static let sizes = [0, 1, block - 1, block, block + 1, 3 * block + 12_345]
    static let mixed = lcgText(count: 2 * block) + lcgBytes(count: block / 2) + lcgText(count: block + 999, seed: 3)

    private func compressInBlocks(_ bytes: [UInt8], threads: Int, writeSize: Int = 64 * 1024) throws -> [UInt8] {
        let memory = MemorySink()
        let sink = try GzipBlockCompressor(level: 6, threads: threads, downstream: memory)
        try bytes.withUnsafeBytes { all in
            for start in stride(from: 0, to: all.count, by: max(1, writeSize)) {
                try sink.write(UnsafeRawBufferPointer(rebasing: all[start..<min(start + writeSize, all.count)]))
            }
        }
        try sink.finish()
        return memory.bytes
    }

    @Test(arguments: sizes)
    func roundTripsThroughOurReader(size: Int) throws {
        let input = lcgText(count: size)
        #expect(try decompress(try compressInBlocks(input, threads: 2), .gzip) == input)
    }

    @Test func independentReadersAcceptIt() throws {
        let compressed = try compressInBlocks(Self.mixed, threads: 3)
        let gzip = try runTool(["gzip", "-dc"], input: compressed)
        #expect(gzip.status == 0 && gzip.output == Self.mixed, "\(gzip.errors)")
        let python = try runTool(
            ["python3", "-c", "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))"],
            input: compressed
        )
        #expect(python.status == 0 && python.output == Self.mixed, "\(python.errors)")
        if toolExists("pigz") {
            let pigz = try runTool(["pigz", "-dc"], input: compressed)
            #expect(pigz.status == 0 && pigz.output == Self.mixed, "\(pigz.errors)")
        }
    }

    @Test(arguments: [(2, 1 << 20), (7, 777), (16, block), (3, 100_003)])
    func theBytesDoNotDependOnThreadsOrWriteSizes(threads: Int, writeSize: Int) throws {
        let reference = try compressInBlocks(Self.mixed, threads: 1)
        #expect(try compressInBlocks(Self.mixed, threads: threads, writeSize: writeSize) == reference)
    }

    @Test func sizeStaysCloseToOneZlibStream() throws {
        let input = lcgText(count: 4 << 20)
        let blocks = try compressInBlocks(input, threads: 2).count
        let memory = MemorySink()
        let single = try GzipCompressor(level: 6, downstream: memory)
        try single.write(input)
        try single.finish()
        let ratio = Double(blocks) / Double(memory.bytes.count)
        #expect(ratio < 1.01, "block output is \(ratio)× a single stream")
    }

    @Test func headerIsPinned() throws {
        let compressed = try compressInBlocks(Array("x".utf8), threads: 1)
        #expect(Array(compressed.prefix(10)) == [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff])
    }

    // Taken with zlib 1.2.13 (Debian bookworm); Python's zlib doing the same scheme by hand (compressobj(6,
    // DEFLATED, -15, 8, zdict=previous 32 KiB) per 128 KiB block, Z_SYNC_FLUSH, then 03 00 and the trailer) gives the
    // same bytes. Drift here means zlib's deflate output changed: every gzip layer digest ocislim writes changes.
    @Test func goldenHash() throws {
        let compressed = try compressInBlocks(GoldenHashTests.input, threads: 2, writeSize: 100_000)
        let digest = try SHA256Hasher.hash(compressed).hexString
        #expect(digest == "7cd5461e3804b8414e2c9d42d8688e17f612c6dc1ba03ed7941007f3f76378a2", "\(digest)")
    }
}
