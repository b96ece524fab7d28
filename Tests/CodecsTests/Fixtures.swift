import ByteIO
import Codecs
import Foundation

/// A 32-bit linear congruential generator (Numerical Recipes constants): the same seed gives the same bytes anywhere.
struct LCG {
    private var state: UInt32

    init(seed: UInt32) { state = seed }

    mutating func next() -> UInt32 {
        state = state &* 1_664_525 &+ 1_013_904_223
        return state
    }
}

/// Compressible text: words picked by the LCG, so the compressors find real matches.
func lcgText(count: Int, seed: UInt32 = 1) -> [UInt8] {
    let words = [
        "layer", "image", "python", "site-packages", "__pycache__", "manifest", "digest", "sha256", "tar", "gzip",
        "zstd", "index", "config", "blob", "/usr/lib/", ".pyc", ".py", "\n", " ", " ", "\t", "0", "42", "ocislim",
    ].map { Array($0.utf8) }
    var generator = LCG(seed: seed)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 16)
    while bytes.count < count {
        bytes.append(contentsOf: words[Int(generator.next() >> 16) % words.count])
    }
    return Array(bytes.prefix(count))
}

/// Incompressible bytes: the LCG's high bytes, so compressed streams outgrow the codecs' internal buffers.
func lcgBytes(count: Int, seed: UInt32 = 7) -> [UInt8] {
    var generator = LCG(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 24) }
}

/// Compresses `bytes` through a compressing sink, writing `writeSize` bytes at a time.
func compress(_ bytes: [UInt8], _ codec: Codec, level: Int32? = nil, writeSize: Int = 64 * 1024) throws -> [UInt8] {
    let memory = MemorySink()
    let sink = try makeCompressingSink(codec, level: level, downstream: memory)
    try bytes.withUnsafeBytes { all in
        for start in stride(from: 0, to: all.count, by: writeSize) {
            try sink.write(UnsafeRawBufferPointer(rebasing: all[start..<min(start + writeSize, all.count)]))
        }
    }
    try sink.finish()
    return memory.bytes
}

/// Decompresses `bytes`, reading `readSize` bytes at a time from a source that yields `upstreamChunk` at a time.
func decompress(
    _ bytes: [UInt8],
    _ codec: Codec,
    readSize: Int = 64 * 1024,
    upstreamChunk: Int = .max
) throws -> [UInt8] {
    let source = try makeDecompressingSource(codec, upstream: TricklingSource(bytes, chunk: upstreamChunk))
    return try readToEnd(source, readSize: readSize)
}

/// Reads `source` until it returns 0, `readSize` bytes at a time.
func readToEnd(_ source: ByteSource, readSize: Int) throws -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: readSize)
    while true {
        let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        if count == 0 { return result }
        result.append(contentsOf: chunk[..<count])
    }
}

/// A memory source that hands out at most `chunk` bytes per read, to split compressed input at awkward places.
final class TricklingSource: ByteSource {
    private let inner: MemorySource
    private let chunk: Int

    init(_ bytes: [UInt8], chunk: Int) {
        inner = MemorySource(bytes)
        self.chunk = chunk
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, chunk)]))
    }
}

/// The error `body` throws, or nil.
func error(of body: () throws -> Void) -> (any Error)? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// What an external tool printed and how it exited.
struct ToolRun {
    var status: Int32
    var output: [UInt8]
    var errors: String
}

/// Runs `arguments` through `/usr/bin/env` with `input` on stdin; files, not pipes, so large data cannot deadlock.
func runTool(_ arguments: [String], input: [UInt8]) throws -> ToolRun {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("codecs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let inputURL = directory.appendingPathComponent("stdin")
    let outputURL = directory.appendingPathComponent("stdout")
    let errorsURL = directory.appendingPathComponent("stderr")
    try Data(input).write(to: inputURL)
    try Data().write(to: outputURL)
    try Data().write(to: errorsURL)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: inputURL)
    process.standardOutput = try FileHandle(forWritingTo: outputURL)
    process.standardError = try FileHandle(forWritingTo: errorsURL)
    try process.run()
    process.waitUntilExit()
    return ToolRun(
        status: process.terminationStatus,
        output: Array(try Data(contentsOf: outputURL)),
        errors: String(decoding: try Data(contentsOf: errorsURL), as: UTF8.self)
    )
}

/// Whether `name` is an executable on the PATH.
func toolExists(_ name: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
}
