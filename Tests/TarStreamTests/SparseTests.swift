import ByteIO
import Foundation
import TestSupport
import Testing

@testable import TarStream

/// Sparse tar entries made by GNU tar: a 1 MiB file with data at 0 and after a hole at 600,000, and a trailing hole.
enum SparseFixture {
    /// The GNU tar formats that store a sparse map, as `tar` arguments.
    static let formats: [[String]] = [
        ["--format=gnu"],
        ["--format=posix", "--sparse-version=0.0"],
        ["--format=posix", "--sparse-version=0.1"],
        ["--format=posix", "--sparse-version=1.0"],
    ]

    /// A tar of one sparse file `name` made by GNU tar with `format`, and the file's content.
    static func make(
        name: String = "f", format: [String], extents: [(Int, String)] = [(0, "HEAD"), (600_000, "after the hole")]
    ) throws -> (tar: [UInt8], content: [UInt8]) {
        let directory = NSTemporaryDirectory() + "ocislim-sparse-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/\(name)"
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var content = [UInt8](repeating: 0, count: 1 << 20)
        for (offset, text) in extents { content.replaceSubrange(offset..<(offset + text.utf8.count), with: text.utf8) }
        // Written with seeks so the holes are real holes, which GNU tar's --sparse finds with SEEK_HOLE.
        _ = try TarFixtures.run(["truncate", "-s", "\(content.count)", file], input: [])
        for (offset, text) in extents {
            _ = try TarFixtures.run(
                ["dd", "of=\(file)", "bs=1", "seek=\(offset)", "conv=notrunc", "status=none"], input: Array(text.utf8))
        }
        let tar = try TarFixtures.run(
            ["tar", "--sparse"] + format + ["--mtime=@1600000000", "-C", directory, "-cf", "-", name], input: [])
        return (tar, content)
    }
}

@Suite struct SparseTests {
    @Test(arguments: SparseFixture.formats)
    func theReaderReturnsTheFileWithItsHoles(format: [String]) throws {
        let (tar, content) = try SparseFixture.make(format: format)
        let reader = try TarReader(source: MemorySource(tar))
        let entry = try #require(try reader.nextEntry())
        #expect(entry.isSparse)
        #expect(entry.size == Int64(content.count))
        var data: [UInt8] = []
        while let block = try reader.nextDataBlock() { data.append(contentsOf: block) }
        // elementsEqual: on failure, == would make the test library diff two 1 MiB arrays for ever.
        #expect(data.elementsEqual(content))
        #expect(try reader.nextEntry() == nil)
    }

    @Test func aPlainFileIsNotSparse() throws {
        let reader = try TarReader(source: MemorySource(try TarFixtures.make([("a.txt", "hello")])))
        #expect(try #require(try reader.nextEntry()).isSparse == false)
    }

    /// A renamed sparse entry is written with libarchive's sparse map and its extents at their offsets: the data after
    /// the hole survives, as Python's tarfile (an independent reader) sees it.
    @Test(arguments: SparseFixture.formats)
    func aRenamedSparseEntryKeepsTheDataAfterItsHole(format: [String]) throws {
        let (tar, content) = try SparseFixture.make(format: format)
        let sink = MemorySink()
        let editor = try TarEditor(source: MemorySource(tar), sink: sink)
        _ = try editor.run(decide: { _, entry in
            .replace(with: [], dataUnder: try .renamed(entry, to: TarPath("g")))
        })
        let reader = try TarReader(source: MemorySource(sink.bytes))
        let entry = try #require(try reader.nextEntry())
        #expect(entry.path == TarPath("g"))
        var data: [UInt8] = []
        while let block = try reader.nextDataBlock() { data.append(contentsOf: block) }
        // elementsEqual: on failure, == would make the test library diff two 1 MiB arrays for ever.
        #expect(data.elementsEqual(content))
        let program = """
            import io, sys, tarfile
            t = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode="r:")
            sys.stdout.buffer.write(t.extractfile(t.getmembers()[0]).read())
            """
        #expect(try TarFixtures.run(["python3", "-c", program], input: sink.bytes).elementsEqual(content))
    }

    /// Data read whole for a transform is the file's content, holes included; the new entry is a plain file.
    @Test func transformedDataSeesTheHoles() throws {
        let (tar, content) = try SparseFixture.make(format: ["--format=gnu"])
        let sink = MemorySink()
        let editor = try TarEditor(source: MemorySource(tar), sink: sink)
        _ = try editor.run(decide: { _, entry in
            .replace([
                .transformedData(
                    under: try .regularFile(path: TarPath("copy"), metadataFrom: entry), limit: 1 << 21,
                    transform: { $0 })
            ])
        })
        let reader = try TarReader(source: MemorySource(sink.bytes))
        let entry = try #require(try reader.nextEntry())
        #expect(!entry.isSparse)
        #expect(try reader.readData(limit: 1 << 21).elementsEqual(content))
    }

    /// Kept and dropped sparse entries are copied or skipped by their stored extents, byte for byte.
    @Test func aKeptSparseEntryIsCopiedByteForByte() throws {
        let (tar, _) = try SparseFixture.make(format: ["--format=posix", "--sparse-version=1.0"])
        let sink = MemorySink()
        _ = try TarEditor(source: MemorySource(tar), sink: sink).run(decide: { _, _ in .keep })
        // The input's entries, then our end-of-archive marker, which is zeros like the input's.
        #expect(sink.bytes.elementsEqual(tar.prefix(sink.bytes.count)))
    }
}
