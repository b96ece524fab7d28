/// A pull-based stream of bytes: decompressors, files and tar readers read from one.
///
/// Sources are not `Sendable`: each one belongs to the task that made it.
public protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes and returns how many; 0 means the stream has ended.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A push-based consumer of bytes: compressors, hashers and files are sinks.
public protocol ByteSink: AnyObject {
    /// Consumes every byte of `bytes` (a sink never takes part of a write).
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes and ends the stream; calling it again does nothing.
    func finish() throws
}

extension ByteSink {
    /// Writes the bytes of an array.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

extension ByteSource {
    /// Reads until `buffer` is full or the stream ends; returns the number of bytes read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Reads the whole stream into memory; for small documents only, never for layers.
    public func readAll(limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > limit { throw ByteIOError.tooLarge(limit: limit) }
        }
    }

    /// Copies the rest of this source into `sink` in chunks of `chunkSize`; returns the number of bytes copied.
    @discardableResult
    public func copy(to sink: ByteSink, chunkSize: Int = 256 * 1024) throws -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count = try read(into: buffer)
            if count == 0 { return total }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            total += Int64(count)
        }
    }
}

/// A sink that forwards every byte to several sinks in order.
public final class TeeSink: ByteSink {
    private let sinks: [ByteSink]

    /// Makes a sink that writes to each of `sinks`.
    public init(_ sinks: [ByteSink]) { self.sinks = sinks }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        for sink in sinks { try sink.write(bytes) }
    }

    public func finish() throws {
        for sink in sinks { try sink.finish() }
    }
}

/// A sink that counts bytes and forwards them.
public final class CountingSink: ByteSink {
    private let next: ByteSink?
    /// The number of bytes written so far.
    public private(set) var count: Int64 = 0

    /// Counts bytes on their way to `next` (or discards them when `next` is nil).
    public init(_ next: ByteSink? = nil) { self.next = next }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        count += Int64(bytes.count)
        try next?.write(bytes)
    }

    public func finish() throws { try next?.finish() }
}

/// A sink that keeps everything in memory; for documents and tests, never for layers.
public final class MemorySink: ByteSink {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// Makes an empty sink.
    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
    public func finish() throws {}
}

/// A source over bytes in memory.
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    /// Makes a source that yields `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
        }
        offset += count
        return count
    }
}

/// A source whose first bytes can be looked at before they are read, so a stream's kind (its magic bytes) is told
/// from the one open file that then streams it, instead of opening it twice.
public final class PeekingSource: ByteSource {
    private let upstream: ByteSource
    private var peeked: [UInt8] = []
    private var offset = 0

    /// Wraps `upstream`.
    public init(upstream: ByteSource) { self.upstream = upstream }

    /// Up to `count` first bytes of the stream (fewer only when it is shorter); they are read again by `read`.
    public func peek(_ count: Int) throws -> [UInt8] {
        precondition(offset == 0, "peek before reading")
        if peeked.count < count {
            var more = [UInt8](repeating: 0, count: count - peeked.count)
            let read = try more.withUnsafeMutableBytes { try upstream.readFully(into: $0) }
            peeked += more[..<read]
        }
        return Array(peeked.prefix(count))
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < peeked.count else { return try upstream.read(into: buffer) }
        let count = min(buffer.count, peeked.count - offset)
        let start = offset
        peeked.withUnsafeBytes { raw in
            UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<start + count]))
        }
        offset += count
        return count
    }
}

@available(*, unavailable)
extension PeekingSource: Sendable {}
