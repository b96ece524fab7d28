import ByteIO
import Foundation
import TestSupport
import Testing

@testable import TarStream

/// The reader refuses what other tar readers would read differently, instead of skipping or guessing.
@Suite struct HeaderCheckTests {
    /// libarchive asks to retry after a damaged header, which would skip to the next block and lose the entry for
    /// us while other readers see something else: the reader stops there.
    @Test func aDamagedHeaderIsRefusedNotSkipped() throws {
        var tar = try TarFixtures.make([("a", "1"), ("b", "2"), ("c", "3")])
        tar[1024] ^= 0x20  // the second header's name: its checksum no longer matches
        let reader = try TarReader(source: MemorySource(tar))
        #expect(try reader.nextEntry()?.path == TarPath("a"))
        #expect(
            throws: TarError.damaged(
                call: "archive_read_next_header", message: "Damaged tar archive", entry: "after a"
            )
        ) { try reader.nextEntry() }
    }

    @Test func aPaxSizeThatDisagreesWithTheUstarSizeIsRefused() throws {
        let tar = try TarFixtures.python(
            """
            import io, sys, tarfile
            out = io.BytesIO()
            with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
                info = tarfile.TarInfo("a.txt"); info.size = 5; info.pax_headers = {"size": "20"}
                t.addfile(info, io.BytesIO(b"A" * 5))
            sys.stdout.buffer.write(out.getvalue())
            """)
        let reader = try TarReader(source: MemorySource(tar))
        #expect(throws: TarError.ambiguousHeader(entry: "a.txt", .sizes(ustar: 5, pax: 20))) {
            try reader.nextEntry()
        }
    }

    @Test func aScanReadsLargeEntriesInBoundedMemory() throws {
        let big = try TarFixtures.make([("big", String(repeating: "x", count: 4 << 20)), ("after", "1")])
        let reader = try TarReader(source: MemorySource(big), chunkSize: 64 * 1024)
        #expect(try reader.nextEntry()?.path == TarPath("big"))
        // Skipping the data drains it through the window, which never holds the whole entry.
        #expect(try reader.nextEntry()?.path == TarPath("after"))
        #expect(reader.rawWindow.heldCount < 1 << 20)
    }

    @Test(
        arguments: [
            ([0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31, 0x37, 0x00] as [UInt8], Int64(15)),
            ([0x20, 0x20, 0x31, 0x30, 0x20, 0x00, 0, 0, 0, 0, 0, 0] as [UInt8], Int64(8)),
            ([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0] as [UInt8], Int64(2) << 16),
            ([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] as [UInt8], Int64(-1)),
        ] as [([UInt8], Int64)])
    func numericFieldsReadOctalAndBase256(field: [UInt8], value: Int64) {
        #expect(HeaderChain.numericField(field[...]) == value)
    }
}
