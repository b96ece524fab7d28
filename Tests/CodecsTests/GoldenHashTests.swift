import ByteIO
import Codecs
import Hashing
import TestSupport
import Testing

/// Reproducibility: the same layer bytes must compress to the same blob, and so the same digest, on every build.
@Suite struct GoldenHashTests {
    static let input = lcgText(count: 1 << 20)

    @Test func inputIsTheOneTheHashesWereTakenFrom() throws {
        let digest = try SHA256Hasher.hash(Self.input).hexString
        #expect(digest == "4841f1ccae5264b3839bbeb431df0f1efb2f89ad42467ae9b4803808baeed6c3")
    }

    // Taken with zlib 1.2.13 (Debian bookworm); Python's zlib.compressobj(6, DEFLATED, 31, 8) with the OS byte set
    // to 255 gives the same bytes. Drift here means zlib's output changed (a new zlib, or a changed header or
    // parameter): every gzip layer digest ocislim writes changes with it.
    @Test func gzipLevel6() throws {
        let memory = MemorySink()
        let compressor = try GzipCompressor(level: 6, downstream: memory)
        try compressor.write(Self.input)
        try compressor.finish()
        let digest = try SHA256Hasher.hash(memory.bytes).hexString
        #expect(digest == "5ad48dd828034b34ba0819b1d19ee5a665ada3354c905a64129d421c13477fc9")
    }

    // Taken with libzstd 1.5.4 (Debian bookworm) in its multi-threaded mode, which ocislim always uses (even for one
    // thread) so that the bytes never depend on the thread count; `zstd -3 -T1 --no-check` gives the same bytes
    // (`--single-thread` gives b3b4ca16…, the hash before zstd went multi-threaded). Drift here means libzstd's
    // output changed (a new libzstd, or a changed parameter): every zstd layer digest ocislim writes changes with it.
    @Test func zstdLevel3() throws {
        let compressed = try compress(Self.input, .zstd, level: 3, writeSize: 100_000)
        let digest = try SHA256Hasher.hash(compressed).hexString
        #expect(digest == "9beb21a3b2a2e951cebee79593ba24dea447b565c0882499fc6bbd69451cf8c9")
    }
}
