import ByteIO
import TestSupport
import Testing

@Suite struct ReadAheadSourceTests {
    static let data = lcgBytes(count: 300_001)

    @Test(arguments: [(1, 1, 1), (7, 1, 4096), (4096, 3, 1000), (65_536, 2, 1 << 20), (1 << 20, 3, 333)])
    func passesEveryByteInOrder(chunkSize: Int, depth: Int, readSize: Int) throws {
        let source = ReadAheadSource(upstream: MemorySource(Self.data), chunkSize: chunkSize, depth: depth)
        #expect(try readToEnd(source, readSize: readSize) == Self.data)
    }

    @Test func anEmptyUpstreamEndsAtOnce() throws {
        let source = ReadAheadSource(upstream: MemorySource([]), chunkSize: 16)
        #expect(try readToEnd(source, readSize: 8).isEmpty)
    }

    @Test func anUpstreamErrorComesAfterTheBytesBeforeIt() throws {
        let upstream = FailingAfterSource(bytes: Array(Self.data.prefix(10_000)))
        let source = ReadAheadSource(upstream: upstream, chunkSize: 4096, depth: 2)
        var buffer = [UInt8](repeating: 0, count: 10_000)
        let count = try buffer.withUnsafeMutableBytes { try source.readFully(into: $0) }
        #expect(count == 10_000 && buffer == Array(Self.data.prefix(10_000)))
        #expect(error { _ = try readToEnd(source, readSize: 10) } as? FailingSink.Failure == .refused)
    }

    /// Dropping a half-read source stops its thread (the test would hang if it did not).
    @Test func droppingItEarlyStopsTheThread() throws {
        for _ in 0..<50 {
            let source = ReadAheadSource(upstream: MemorySource(Self.data), chunkSize: 1024, depth: 2)
            var buffer = [UInt8](repeating: 0, count: 10)
            _ = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        }
    }
}

/// Gives its bytes, then fails.
final class FailingAfterSource: ByteSource {
    private let inner: MemorySource

    init(bytes: [UInt8]) { inner = MemorySource(bytes) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try inner.read(into: buffer)
        guard count > 0 || buffer.isEmpty else { throw FailingSink.Failure.refused }
        return count
    }
}
