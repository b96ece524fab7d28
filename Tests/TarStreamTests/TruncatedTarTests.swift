import ByteIO
import TarStream
import TestSupport
import Testing

/// A tar cut short is named as such, in the user's terms — including the shape Debian's umoci 0.4.7 `insert` writes:
/// a member's data and then nothing, no padding and no end-of-archive blocks.
@Suite struct TruncatedTarTests {
    private func readAll(_ tar: [UInt8]) throws {
        let reader = try TarReader(source: MemorySource(tar))
        while try reader.nextEntry() != nil {
            while try reader.nextDataBlock() != nil {}
        }
    }

    @Test func aTarThatEndsRightAfterTheLastDataIsNamed() throws {
        let whole = try TarFixtures.make([("f", "hello\n")])
        #expect(throws: TarError.truncated(entry: "f", dataComplete: true)) { try readAll(Array(whole.prefix(518))) }
        #expect(
            "\(TarError.truncated(entry: "f", dataComplete: true))"
                == "tar entry f: the layer ends right after this entry's data, without the padding and end-of-archive "
                + "blocks a tar needs (a truncated tar; Debian's umoci 0.4.7 `insert` writes layers like this)")
    }

    @Test func aTarThatEndsInsideTheDataIsNamed() throws {
        let whole = try TarFixtures.make([("f", String(repeating: "x", count: 2000))])
        #expect(throws: TarError.truncated(entry: "f", dataComplete: false)) { try readAll(Array(whole.prefix(1500))) }
    }
}
