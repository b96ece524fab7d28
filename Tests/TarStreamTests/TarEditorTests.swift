import ByteIO
import Foundation
import TarStream
import TestSupport
import Testing

@Suite struct TarEditorTests {
    /// Python writes pax records libarchive does not know, a GNU long name and a name that is not UTF-8:
    /// a re-encoding rewriter would lose or alter them.
    static let exoticTar = """
        import io, sys, tarfile
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            def add(name, data=b"", **pax):
                info = tarfile.TarInfo(name)
                info.size = len(data); info.mtime = 1700000000; info.mode = 0o640; info.uid = 1000; info.gid = 1000
                info.pax_headers = pax
                t.addfile(info, io.BytesIO(data))
            add("usr/", )
            add("usr/keep.txt", b"kept\\n" * 100, **{"OCISLIM.custom": "survives", "SCHILY.xattr.user.k": "v"})
            add("usr/drop.pyc", b"\\x00" * 700)
            add("usr/" + "long" * 40 + ".py", b"print(1)\\n")
            add(b"usr/caf\\xe9.bin".decode("utf-8", "surrogateescape"), b"latin1 name")
            add("usr/tail.txt", b"tail")
        sys.stdout.buffer.write(buf.getvalue())
        """

    private func edit(
        _ tar: [UInt8], decide: (Int, TarEntry) throws -> TarEdit,
        append: () throws -> [(NewTarEntry, [UInt8])] = { [] }
    ) throws -> ([UInt8], TarEditSummary) {
        let sink = MemorySink()
        let summary = try TarEditor(source: MemorySource(tar), sink: sink).run(decide: decide, append: append)
        return (sink.bytes, summary)
    }

    @Test func keepingEveryEntryCopiesTheirBytesExactly() throws {
        let input = try TarFixtures.python(Self.exoticTar)
        let (output, summary) = try edit(input) { _, _ in .keep }
        #expect(summary.kept == 6 && summary.dropped == 0)
        // Everything before the input's end-of-archive marker comes out unchanged, then a fresh marker.
        let entriesEnd = output.count - 1024
        #expect(Array(output[..<entriesEnd]) == Array(input[..<entriesEnd]))
        #expect(output[entriesEnd...].allSatisfy { $0 == 0 })
        #expect(try TarFixtures.pythonListing(output) == TarFixtures.pythonListing(input))
    }

    @Test func droppingAnEntryKeepsTheOthersPaxRecordsAndNames() throws {
        let input = try TarFixtures.python(Self.exoticTar)
        let (output, summary) = try edit(input) { _, entry in
            entry.path.description.hasSuffix(".pyc") ? .drop : .keep
        }
        #expect(summary.dropped == 1 && summary.kept == 5)
        let expected = try TarFixtures.pythonListing(input).filter { !$0.contains(Array("drop.pyc".utf8).hexString) }
        let listing = try TarFixtures.pythonListing(output)
        #expect(listing == expected)
        #expect(listing.contains { $0.contains("('OCISLIM.custom', 'survives')") })
        #expect(listing.contains { $0.hasPrefix(Array("usr/caf".utf8).hexString + "e9") })
    }

    @Test func readsNonUTF8NamesAsRawBytes() throws {
        let input = try TarFixtures.python(Self.exoticTar)
        var names: [TarPath] = []
        _ = try edit(input) { _, entry in
            names.append(entry.path)
            return .keep
        }
        #expect(names.contains(TarPath(bytes: Array("usr/caf".utf8) + [0xe9] + Array(".bin".utf8))))
        #expect(names.contains(TarPath("usr/" + String(repeating: "long", count: 40) + ".py")))
    }

    @Test func replacesADuplicateWithAHardlink() throws {
        let input = try TarFixtures.make([("a/", ""), ("a/x.pyc", "same"), ("a/y.pyc", "same")])
        let (output, _) = try edit(input) { _, entry in
            guard entry.path == TarPath("a/y.pyc") else { return .keep }
            return .replace(with: [try .hardlink(path: entry.path, to: TarPath("a/x.pyc"), metadata: entry)])
        }
        let listing = try TarFixtures.pythonListing(output)
        #expect(listing.count == 3)
        #expect(listing[2].hasPrefix(Array("a/y.pyc".utf8).hexString + " 1 0 a/x.pyc"))
        let bsdtar = try TarFixtures.run(["bsdtar", "-tvf", "-"], input: output)
        #expect(String(decoding: bsdtar, as: UTF8.self).contains("a/y.pyc link to a/x.pyc"))
    }

    @Test func rewritesAHeaderAndKeepsTheData() throws {
        // Raw entries follow the rewritten one: its padding must be in place before they are copied.
        let input = try TarFixtures.make([
            ("p/__pycache__/m.cpython-311.pyc", "bytecode"), ("p/n.txt", "n"),
            ("p/o.txt", String(repeating: "o", count: 700)),
        ])
        let (output, summary) = try edit(input) { _, entry in
            guard entry.path.description.hasSuffix(".pyc") else { return .keep }
            return .replace(with: [], dataUnder: try .renamed(entry, to: TarPath("p/m.pyc")))
        }
        #expect(summary.written == 1)
        let expected = try TarFixtures.make([
            ("p/m.pyc", "bytecode"), ("p/n.txt", "n"), ("p/o.txt", String(repeating: "o", count: 700)),
        ])
        #expect(try TarFixtures.pythonListing(output) == TarFixtures.pythonListing(expected))
    }

    @Test func transformsAnEntrysDataAndKeepsWhatFollows() throws {
        let input = try TarFixtures.make([("p/m.py", "source text"), ("p/n.txt", "n")])
        let (output, _) = try edit(input) { _, entry in
            guard entry.path.description.hasSuffix(".py") else { return .keep }
            return .replace([
                .header(try .directory(path: TarPath("p/__pysources__"), mtime: 1_600_000_000)),
                .transformedData(
                    under: try .regularFile(path: TarPath("p/__pysources__/m.zpy"), metadataFrom: entry), limit: 1024,
                    transform: { Array($0.reversed()) }
                ),
            ])
        }
        let expected = try TarFixtures.make([
            ("p/__pysources__/", ""), ("p/__pysources__/m.zpy", String("source text".reversed())), ("p/n.txt", "n"),
        ])
        #expect(try TarFixtures.pythonListing(output) == TarFixtures.pythonListing(expected))
    }

    @Test func refusesToTransformMoreThanItsLimit() throws {
        let input = try TarFixtures.make([("p/m.py", String(repeating: "x", count: 2000))])
        #expect {
            _ = try edit(input) { _, entry in
                .replace([
                    .transformedData(
                        under: try .regularFile(path: TarPath("z"), metadataFrom: entry), limit: 1000, transform: { $0 }
                    )
                ])
            }
        } throws: { "\($0)" == "tar entry p/m.py: 2000 bytes is more than the 1000 this edit reads into memory (read)" }
    }

    @Test func appendsEntriesBeforeTheEndMarker() throws {
        let input = try TarFixtures.make([("p/__pycache__/", "")])
        let (output, _) = try edit(
            input, decide: { _, _ in .keep },
            append: { [(try .regularFile(path: TarPath("p/__pycache__/__dont_write_bytecode__"), size: 0), [])] }
        )
        let listing = try TarFixtures.pythonListing(output)
        #expect(listing.count == 2)
        #expect(listing[1].hasPrefix(Array("p/__pycache__/__dont_write_bytecode__".utf8).hexString + " 0 0"))
    }

    @Test func memoryStaysBoundedForLargeEntries() throws {
        // A 64 MiB file streamed through: the raw window must stay near libarchive's read-ahead.
        let size: Int64 = 64 << 20
        let sink = MemorySink()
        let writer = try TarWriter(sink: sink)
        try writer.writeHeader(try .regularFile(path: TarPath("big.bin"), size: size))
        try writer.finish()
        // Splice generated data between the header and the end marker, padded to 512 bytes.
        let header = Array(sink.bytes[..<512])
        let source = ConcatenatedSource([
            MemorySource(header), GeneratedSource(count: size), MemorySource([UInt8](repeating: 0, count: 1024)),
        ])
        let output = CountingSink()
        let summary = try TarEditor(source: source, sink: output).run { _, _ in .keep }
        #expect(output.count == 512 + size + 1024)
        #expect(summary.peakWindowBytes < 2 << 20, "window held \(summary.peakWindowBytes) bytes")
    }

    @Test func emptyStreamsAreEmptyArchives() throws {
        for input in [[UInt8](), [UInt8](repeating: 0, count: 1024)] {
            let (output, summary) = try edit(input) { _, _ in .keep }
            #expect(summary.entriesRead == 0)
            #expect(output == [UInt8](repeating: 0, count: 1024))
        }
    }

    @Test func truncatedArchiveNamesTheEntry() throws {
        let input = try TarFixtures.make([("a.txt", String(repeating: "x", count: 5000))])
        let cut = Array(input[..<2048])
        #expect {
            _ = try edit(cut) { _, _ in .keep }
        } throws: { error in
            "\(error)".contains("a.txt") && "\(error)".lowercased().contains("truncated")
        }
    }

    @Test func garbageIsNotATar() throws {
        let garbage = [UInt8]((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        #expect(throws: TarError.notTar(message: "Unrecognized archive format")) {
            _ = try edit(garbage) { _, _ in .keep }
        }
    }
}

/// Reads several sources one after the other.
final class ConcatenatedSource: ByteSource {
    private var sources: [ByteSource]
    init(_ sources: [ByteSource]) { self.sources = sources }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while let first = sources.first {
            let count = try first.read(into: buffer)
            if count > 0 { return count }
            sources.removeFirst()
        }
        return 0
    }
}

extension Array where Element == UInt8 {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
