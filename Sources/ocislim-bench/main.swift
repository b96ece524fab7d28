// ocislim-bench: the speed of ocislim's own building blocks on one file, for `make bench` to set beside the
// reference tools (`openssl speed -evp sha256`, `igzip -dc`, `pigz`). Not installed; not a user command.
//
//   ocislim-bench sha256 FILE              SHA-256 (OpenSSL EVP) over the file, held in memory
//   ocislim-bench inflate FILE.gz          gzip decompression (ISA-L) of the file, streamed from memory
//   ocislim-bench deflate FILE THREADS     gzip compression (libdeflate members) at the default level
//
// Prints one line: `<what> <input bytes> <output bytes> <seconds> <MB/s of input>`.
import ByteIO
import Codecs
import Foundation
import Hashing

/// Reads a whole file; the benchmarks measure the computation, not the disk.
func load(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw BenchError.unreadable(path)
    }
    return [UInt8](data)
}

enum BenchError: Error, CustomStringConvertible {
    case unreadable(String)
    case usage

    var description: String {
        switch self {
        case .unreadable(let path): "cannot read \(path)"
        case .usage: "usage: ocislim-bench sha256 FILE | inflate FILE.gz | deflate FILE THREADS"
        }
    }
}

/// Runs `body` once and prints the line.
func measure(_ what: String, input: Int, _ body: () throws -> Int) rethrows {
    let start = ContinuousClock.now
    let output = try body()
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(what, input, output, String(format: "%.3f", seconds), String(format: "%.1f", Double(input) / seconds / 1e6))
}

func run(_ arguments: [String]) throws {
    guard arguments.count >= 2 else { throw BenchError.usage }
    let bytes = try load(arguments[1])
    switch arguments[0] {
    case "sha256":
        try measure("sha256", input: bytes.count) {
            let hasher = try SHA256Hasher()
            try hasher.update(bytes)
            return try hasher.finalize().count
        }
    case "inflate":
        try measure("inflate", input: bytes.count) {
            let source = try makeDecompressingSource(.gzip, upstream: MemorySource(bytes))
            let sink = CountingSink()
            try source.copy(to: sink)
            return Int(sink.count)
        }
    case "deflate":
        guard arguments.count == 3, let threads = Int(arguments[2]) else { throw BenchError.usage }
        try measure("deflate-\(threads)", input: bytes.count) {
            let sink = CountingSink()
            let compressor = try makeCompressingSink(.gzip, threads: threads, downstream: sink)
            try compressor.write(bytes)
            try compressor.finish()
            return Int(sink.count)
        }
    default:
        throw BenchError.usage
    }
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("ocislim-bench: \(error)\n".utf8))
    exit(2)
}
