import ByteIO
import Codecs
import Foundation

/// A 32-bit linear congruential generator (Numerical Recipes constants): the same seed gives the same bytes anywhere.
public struct LCG {
    private var state: UInt32

    public init(seed: UInt32) { state = seed }

    public mutating func next() -> UInt32 {
        state = state &* 1_664_525 &+ 1_013_904_223
        return state
    }
}

/// Compressible text: words picked by the LCG, so the compressors find real matches.
public func lcgText(count: Int, seed: UInt32 = 1) -> [UInt8] {
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
public func lcgBytes(count: Int, seed: UInt32 = 7) -> [UInt8] {
    var generator = LCG(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 24) }
}

/// Compresses `bytes` through a compressing sink, writing `writeSize` bytes at a time.
public func compress(_ bytes: [UInt8], _ codec: Compression, level: Int32? = nil, writeSize: Int = 64 * 1024) throws
    -> [UInt8]
{
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
public func decompress(
    _ bytes: [UInt8],
    _ codec: Compression,
    readSize: Int = 64 * 1024,
    upstreamChunk: Int = .max
) throws -> [UInt8] {
    let source = try makeDecompressingSource(codec, upstream: TricklingSource(bytes, chunk: upstreamChunk))
    return try readToEnd(source, readSize: readSize)
}

/// Reads `source` until it returns 0, `readSize` bytes at a time.
public func readToEnd(_ source: ByteSource, readSize: Int) throws -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: readSize)
    while true {
        let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        if count == 0 { return result }
        result.append(contentsOf: chunk[..<count])
    }
}

/// A memory source that hands out at most `chunk` bytes per read, to split compressed input at awkward places.
public final class TricklingSource: ByteSource {
    private let inner: MemorySource
    private let chunk: Int

    public init(_ bytes: [UInt8], chunk: Int) {
        inner = MemorySource(bytes)
        self.chunk = chunk
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, chunk)]))
    }
}

/// A sink that refuses every write.
public final class FailingSink: ByteSink {
    public enum Failure: Error { case refused }

    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { throw Failure.refused }
    public func finish() throws { throw Failure.refused }
}

/// The error `body` throws, or nil.
public func error(of body: () throws -> Void) -> (any Error)? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// Runs a tool with `input` on standard input (the codec tests' spelling of `Tool.run`).
public func runTool(_ arguments: [String], input: [UInt8]) throws -> ToolRun { try Tool.run(arguments, input: input) }

/// Whether `name` is an executable on the PATH.
public func toolExists(_ name: String) -> Bool { Tool.exists(name) }
