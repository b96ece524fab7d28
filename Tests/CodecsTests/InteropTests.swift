import Codecs
import TestSupport
import Testing

/// Our streams against independent implementations: GNU gzip, Python's gzip module and the zstd CLI.
@Suite struct InteropTests {
    static let text = lcgText(count: 500_000)
    static let pythonGunzip = "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))"

    @Test(.enabled(if: toolExists("gzip")), arguments: [1, 6, 9] as [Int32])
    func gnuGzipReadsOurGzip(level: Int32) throws {
        let run = try runTool(["gzip", "-dc"], input: compress(Self.text, .gzip, level: level))
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.errors.isEmpty)
        #expect(run.output == Self.text)
    }

    @Test(.enabled(if: toolExists("gzip")))
    func gnuGzipReadsOurMembersConcatenated() throws {
        let joined = try compress(Self.text, .gzip) + compress(Array("tail".utf8), .gzip)
        let run = try runTool(["gzip", "-dc"], input: joined)
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output == Self.text + Array("tail".utf8))
    }

    @Test(.enabled(if: toolExists("python3")))
    func pythonReadsOurGzip() throws {
        let run = try runTool(["python3", "-c", Self.pythonGunzip], input: compress(Self.text, .gzip))
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output == Self.text)
    }

    @Test(.enabled(if: toolExists("gzip")), arguments: ["-1", "-6", "-9"])
    func weReadGnuGzip(level: String) throws {
        let run = try runTool(["gzip", level, "-c"], input: Self.text)
        #expect(run.status == 0, "\(run.errors)")
        #expect(try decompress(run.output, .gzip, readSize: 5000) == Self.text)
    }

    @Test(.enabled(if: toolExists("python3")))
    func weReadPythonGzipWithAFileName() throws {
        // Python's GzipFile writes FNAME and a real mtime: header fields we must parse past, not reject.
        let script = """
            import gzip,io,sys
            out = io.BytesIO()
            with gzip.GzipFile(filename="layer.tar", mode="wb", fileobj=out, mtime=1700000000) as f:
                f.write(sys.stdin.buffer.read())
            sys.stdout.buffer.write(out.getvalue())
            """
        let run = try runTool(["python3", "-c", script], input: Self.text)
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output[3] == 0x08, "FNAME set")
        #expect(try decompress(run.output, .gzip) == Self.text)
    }

    @Test(.enabled(if: toolExists("zstd")), arguments: [1, 3, 19] as [Int32])
    func zstdCLIReadsOurZstd(level: Int32) throws {
        let run = try runTool(["zstd", "-dc"], input: compress(Self.text, .zstd, level: level))
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output == Self.text)
    }

    @Test(.enabled(if: toolExists("zstd")), arguments: ["-1", "-3", "-19", "--long=27"])
    func weReadTheZstdCLI(option: String) throws {
        // The CLI adds a content checksum by default, which the decoder verifies.
        let run = try runTool(["zstd", option, "-c"], input: Self.text)
        #expect(run.status == 0, "\(run.errors)")
        #expect(try decompress(run.output, .zstd, readSize: 5000) == Self.text)
    }

    @Test(.enabled(if: toolExists("zstd")))
    func aWrongZstdChecksumIsCorrupt() throws {
        var compressed = try runTool(["zstd", "-3", "-c"], input: Self.text).output
        // The last 4 bytes of a frame with the checksum flag are the XXH64 checksum's low half.
        compressed[compressed.count - 1] ^= 0xff
        let thrown = error { _ = try decompress(compressed, .zstd) }
        #expect(thrown as? CodecError == .corrupt(.zstd, message: "Restored data doesn't match checksum"))
    }
}
