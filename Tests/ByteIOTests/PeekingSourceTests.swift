import ByteIO
import TestSupport
import Testing

/// A stream's first bytes looked at, then read again with the rest: one open file serves both.
@Suite struct PeekingSourceTests {
    @Test(arguments: [(4, 1), (4, 3), (4, 4096), (0, 7), (10, 2)])
    func peekedBytesAreReadAgain(peek: Int, readSize: Int) throws {
        let data = lcgBytes(count: 10_000)
        let source = PeekingSource(upstream: TricklingSource(data, chunk: 3))
        #expect(try source.peek(peek) == Array(data.prefix(peek)))
        #expect(try source.peek(peek) == Array(data.prefix(peek)), "peeking twice gives the same bytes")
        #expect(try readToEnd(source, readSize: readSize) == data)
    }

    @Test func aShortStreamPeeksWhatItHas() throws {
        let source = PeekingSource(upstream: MemorySource([1, 2]))
        #expect(try source.peek(4) == [1, 2])
        #expect(try readToEnd(source, readSize: 10) == [1, 2])
    }
}
