import ByteIO
import Codecs
import Foundation
import Hashing
import TestSupport
import Testing

@Suite struct GzipMemberCompressorTests {
    static let block = GzipMemberCompressor.blockSize
    /// Text and incompressible data around every block edge.
    static let sizes = [0, 1, block - 1, block, block + 1, 3 * block + 12_345]
    static let mixed = lcgText(count: 2 * block) + lcgBytes(count: block / 2) + lcgText(count: block + 999, seed: 3)

    private func compressInMembers(
        _ bytes: [UInt8], level: Int32 = 6, threads: Int, writeSize: Int = 64 * 1024
    ) throws -> [UInt8] {
        let memory = MemorySink()
        let sink = try GzipMemberCompressor(level: level, threads: threads, downstream: memory)
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
        #expect(try decompress(try compressInMembers(input, threads: 2), .gzip) == input)
    }

    @Test func independentReadersAcceptIt() throws {
        let compressed = try compressInMembers(Self.mixed, threads: 3)
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

    /// One member per started MiB, each a complete gzip file of its own block (counted by Python's zlib).
    @Test func oneMemberPerBlock() throws {
        let compressed = try compressInMembers(Self.mixed, threads: 2)
        let count = try runTool(
            [
                "python3", "-c",
                """
                import sys, zlib
                data, members, sizes = sys.stdin.buffer.read(), 0, []
                while data:
                    d = zlib.decompressobj(31)
                    sizes.append(len(d.decompress(data)))
                    data, members = d.unused_data, members + 1
                print(members, max(sizes))
                """,
            ],
            input: compressed
        )
        let expected = (Self.mixed.count + Self.block - 1) / Self.block
        #expect(String(decoding: count.output, as: UTF8.self) == "\(expected) \(Self.block)\n", "\(count.errors)")
    }

    @Test func anEmptyStreamIsOneEmptyMember() throws {
        let compressed = try compressInMembers([], threads: 2)
        let gzip = try runTool(["gzip", "-dc"], input: compressed)
        #expect(gzip.status == 0 && gzip.output.isEmpty && compressed.starts(with: [0x1f, 0x8b]), "\(gzip.errors)")
    }

    @Test(arguments: [(2, 1 << 20), (7, 777), (16, block), (3, 100_003), (1, 3 * block + 1)])
    func theBytesDoNotDependOnThreadsOrWriteSizes(threads: Int, writeSize: Int) throws {
        let reference = try compressInMembers(Self.mixed, threads: 1)
        #expect(try compressInMembers(Self.mixed, threads: threads, writeSize: writeSize) == reference)
    }

    /// Independent members lose the window across blocks. On real layers libdeflate's better parsing makes up for
    /// it (0.99× `pigz -6`, measured by `make bench`); on this synthetic text it stays within a few percent of zlib.
    @Test func sizeStaysNearOneZlibStream() throws {
        let input = lcgText(count: 4 << 20)
        let members = try compressInMembers(input, threads: 2).count
        let memory = MemorySink()
        let single = try GzipCompressor(level: 6, downstream: memory)
        try single.write(input)
        try single.finish()
        let ratio = Double(members) / Double(memory.bytes.count)
        #expect(ratio < 1.08, "members are \(ratio)× a single zlib stream")
        #expect(try compressInMembers(input, level: 1, threads: 2).count > members, "the level is used")
    }

    @Test(arguments: [0, 13] as [Int32])
    func levelsOutsideLibdeflatesAreRefused(level: Int32) throws {
        let failure = error { _ = try GzipMemberCompressor(level: level, downstream: MemorySink()) }
        #expect(failure as? CodecError == .unsupportedLevel(.gzip, level: level, levels: 1...12))
    }

    @Test func headerIsPinned() throws {
        let compressed = try compressInMembers(Array("x".utf8), threads: 1)
        // No name, mtime 0, extra flags 0 at level 6, OS 255 ("unknown").
        #expect(Array(compressed.prefix(10)) == [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff])
    }

    @Test func aFailingDownstreamFailsEveryLaterCall() throws {
        let sink = try GzipMemberCompressor(level: 6, threads: 2, downstream: FailingSink())
        #expect(throws: (any Error).self) { try sink.write(lcgText(count: 5 * Self.block)) }
        #expect(throws: (any Error).self) { try sink.write([1]) }
        #expect(throws: (any Error).self) { try sink.finish() }
    }

    // Taken with libdeflate 1.14 (Debian bookworm); GNU gzip and Python read it back (above). Drift here means
    // libdeflate's output changed (a new libdeflate, or a changed level or block size): every gzip layer digest
    // ocislim writes changes with it.
    @Test func goldenHash() throws {
        let input = GoldenHashTests.input + lcgText(count: Self.block + 4321, seed: 9)
        let compressed = try compressInMembers(input, threads: 2, writeSize: 100_000)
        let digest = try SHA256Hasher.hash(compressed).hexString
        #expect(digest == "0b9b682569ff13a82ca6e219c318363bcafae27090e06708f5b4f755d703c83a", "\(digest)")
    }
}
