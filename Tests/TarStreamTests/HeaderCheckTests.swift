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

    /// Found by the tar fuzzer: a mode field with a digit after its NUL (`004600\0 4`) is read by libarchive in the
    /// middle of a stream but refused as an archive's first header, so keeping the entry while dropping those before
    /// it made a layer nobody could read. Such a header is refused when it is read.
    @Test func aMalformedNumberFieldIsRefused() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("testdata/fuzz/tar/regression-malformed-mode-field")
        let reader = try TarReader(source: MemorySource(Array(try Data(contentsOf: url))))
        #expect(throws: TarError.self) {
            while try reader.nextEntry() != nil {}
        }
        // The same field in the second header, where libarchive reads it: our check refuses it.
        var tar = try TarFixtures.make([("a", "1"), ("b", "2")])
        let header = 1024
        tar.replaceSubrange((header + 100)..<(header + 108), with: Array("00644\u{0} 4".utf8))
        // Keep the checksum right, so only the field is wrong.
        tar.replaceSubrange((header + 148)..<(header + 156), with: Array("        ".utf8))
        let sum = tar[header..<(header + 512)].reduce(0) { $0 + Int($1) }
        tar.replaceSubrange((header + 148)..<(header + 156), with: Array(String(format: "%06o", sum).utf8) + [0, 0x20])
        let second = try TarReader(source: MemorySource(tar))
        #expect(try second.nextEntry()?.path == TarPath("a"))
        #expect(throws: TarError.ambiguousHeader(entry: "b", .malformedNumber("mode"))) { try second.nextEntry() }
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
