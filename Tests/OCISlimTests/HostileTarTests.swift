import ByteIO
import Foundation
import Hashing
import OCIImage
import OCISlim
import PythonMinimizer
import TarStream
import TestSupport
import Testing

/// Tar headers written by hand, block by block, for entries no well-behaved writer makes.
enum RawTar {
    /// One 512-byte ustar header; `sizeField` overrides what the size field says.
    static func header(
        _ name: String, type: Character = "0", size: Int = 0, sizeField: Int? = nil, link: String = "",
        mode: Int = 0o644
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(sizeField ?? size, at: 124, width: 12)
        octal(1_700_000_000, at: 136, width: 12)
        block[156] = type.asciiValue ?? 0x30
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put("        ", at: 148, width: 8)
        let checksum = block.reduce(0) { $0 + Int($1) }
        let digits = String(checksum, radix: 8)
        put(String(repeating: "0", count: 6 - digits.count) + digits, at: 148, width: 6)
        block[154] = 0
        block[155] = 0x20
        return block
    }

    /// A header followed by its data, padded to whole blocks.
    static func entry(
        _ name: String, type: Character = "0", data: [UInt8] = [], sizeField: Int? = nil, link: String = "",
        mode: Int = 0o644
    ) -> [UInt8] {
        header(name, type: type, size: data.count, sizeField: sizeField, link: link, mode: mode) + padded(data)
    }

    static func file(_ name: String, _ text: String) -> [UInt8] { entry(name, data: Array(text.utf8)) }

    /// A pax extended header with these records.
    static func pax(_ records: [(String, String)]) -> [UInt8] {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while "\(length)".utf8.count + body.utf8.count != length { length += 1 }
            data += Array("\(length)\(body)".utf8)
        }
        return entry("PaxHeaders/x", type: "x", data: data)
    }

    /// A GNU long-name record naming the next header.
    static func longName(_ name: String) -> [UInt8] {
        entry("././@LongLink", type: "L", data: Array(name.utf8) + [0])
    }

    static let end = [UInt8](repeating: 0, count: 1024)

    static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }
}

/// Hostile layers are refused with one line naming the layer and the entry, leave no output, and leave the input
/// as it was; sparse files keep their data through every strategy.
@Suite struct HostileTarTests {
    static let library = "usr/lib/python3.11/"

    /// Rewrites a one-layer image made of `tar` with `strategy`, which must fail; returns the message and the layer.
    private func refusal(_ tar: [UInt8], strategy: Strategy = .dropBytecode) async throws -> (String, Digest) {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [[FixtureLayer(entries: [], tar: tar + RawTar.end)]])
        let layer = try layerDigest(input)
        let message = try await RefusedRewrite.message(fixture, input: input, strategy: strategy)
        return (message, layer)
    }

    /// The digest of the first layer of the layout's only image.
    private func layerDigest(_ input: String) throws -> Digest {
        let index = try ImageIndex.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: input + "/index.json"))), what: "index")
        let manifest = try ImageManifest.decode(
            try ImageLayout(path: input).readDocument(try #require(index.manifests.first)), what: "manifest")
        return try #require(manifest.layers.first).digest
    }

    // MARK: Names

    @Test func aParentComponentIsRefused() async throws {
        let (message, layer) = try await refusal(RawTar.file("usr/../../etc/passwd", "root::0:0::/:/bin/sh\n"))
        #expect(message == "layer \(layer): tar entry usr/../../etc/passwd: its name has a '..' component")
    }

    @Test func anAbsoluteNameIsRefused() async throws {
        let (message, layer) = try await refusal(RawTar.file("/etc/passwd", "x\n"))
        #expect(message == "layer \(layer): tar entry /etc/passwd: its name is absolute")
    }

    @Test(arguments: ["usr/./lib/x.py", "usr//lib/x.py", "./usr/lib/./x.py"])
    func aDotOrEmptyComponentInsideANameIsRefused(name: String) async throws {
        let (message, layer) = try await refusal(RawTar.file(name, "x = 1\n"))
        #expect(message == "layer \(layer): tar entry \(name): its name has a '.' or empty component inside it")
    }

    @Test func aRootThatIsASymlinkIsRefused() async throws {
        let (message, layer) = try await refusal(RawTar.entry(".", type: "2", link: "/tmp"))
        #expect(message == "layer \(layer): tar entry .: the image root must be a directory, not a symlink")
    }

    @Test func aRootThatIsAFileIsRefused() async throws {
        let (message, layer) = try await refusal(RawTar.file(".", "x"))
        #expect(message == "layer \(layer): tar entry .: the image root must be a directory, not a regular file")
    }

    @Test func theSamePathTwiceIsRefused() async throws {
        let (message, layer) = try await refusal(
            RawTar.file(Self.library + "foo.py", "A = 1\n") + RawTar.file("./" + Self.library + "foo.py", "A = 2\n"))
        #expect(
            message
                == "layer \(layer): tar entry ./\(Self.library)foo.py: the layer already has an entry for this path "
                + "(\(Self.library)foo.py)")
    }

    @Test func aDirectoryTwiceIsAccepted() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tar =
            RawTar.entry("usr/", type: "5", mode: 0o755) + RawTar.entry("./usr/", type: "5", mode: 0o755)
            + RawTar.file("usr/a.txt", "a") + RawTar.end
        let input = try fixture.writeLayout("in", images: [[FixtureLayer(entries: [], tar: tar), .interpreter]])
        _ = try await ImageRewriter(
            options: RewriteOptions(input: input, output: fixture.path("out"), strategy: .dropBytecode)
        ).run()
    }

    @Test(arguments: [".wh.", ".wh..", ".wh...", ".wh..wh.foo"])
    func aWhiteoutThatNamesNoFileIsRefused(name: String) async throws {
        let (message, layer) = try await refusal(RawTar.file("usr/" + name, ""))
        #expect(message == "layer \(layer): tar entry usr/\(name): a whiteout that names no file")
    }

    // MARK: Hardlinks

    @Test(arguments: ["../etc/passwd", "/etc/passwd", "usr/../../x"])
    func aHardlinkOutsideTheImageIsRefused(target: String) async throws {
        let (message, layer) = try await refusal(
            RawTar.file("etc/passwd", "x") + RawTar.entry("usr/x", type: "1", link: target))
        #expect(
            message
                == "layer \(layer): tar entry usr/x: a hardlink to \(target), which is not a relative path inside the image"
        )
    }

    @Test func aHardlinkToNothingIsRefused() async throws {
        let (message, layer) = try await refusal(RawTar.entry("usr/x", type: "1", link: "usr/missing"))
        #expect(
            message
                == "layer \(layer): tar entry usr/x: a hardlink to usr/missing, which is not a file of an earlier "
                + "entry or a lower layer")
    }

    /// The rewrite once kept this link while dropping the `.pyc` it pointed at.
    @Test func aHardlinkToALaterEntryIsRefused() async throws {
        let tag = try LayoutFixture.hostCacheTag.get()
        let pyc = Self.library + "__pycache__/m.\(tag).pyc"
        let (message, layer) = try await refusal(
            RawTar.entry(Self.library + "keep.pyc", type: "1", link: pyc) + RawTar.file(pyc, "bytecode"))
        #expect(
            message
                == "layer \(layer): tar entry \(Self.library)keep.pyc: a hardlink to \(pyc), which is not a file of an "
                + "earlier entry or a lower layer")
    }

    @Test func aHardlinkToADirectoryIsRefused() async throws {
        let (message, layer) = try await refusal(
            RawTar.entry("usr/d/", type: "5", mode: 0o755) + RawTar.entry("usr/x", type: "1", link: "usr/d"))
        #expect(
            message
                == "layer \(layer): tar entry usr/x: a hardlink to usr/d, which is not a file of an earlier entry or a "
                + "lower layer")
    }

    @Test func aHardlinkWithDataIsRefused() async throws {
        let (message, layer) = try await refusal(
            RawTar.file("usr/a", "a") + RawTar.entry("usr/x", type: "1", data: Array("data!".utf8), link: "usr/a"))
        #expect(
            message
                == "layer \(layer): tar entry usr/x: its header announces 5 bytes of data for an entry that has none")
    }

    // MARK: Headers that parsers read differently

    @Test func aPaxSizeThatDisagreesWithTheUstarSizeIsRefused() async throws {
        let data = [UInt8](repeating: 0x41, count: 20)
        let (message, layer) = try await refusal(
            RawTar.pax([("size", "20")]) + RawTar.entry("usr/a.txt", data: data, sizeField: 5))
        #expect(
            message == "layer \(layer): tar entry usr/a.txt: its ustar size field says 5 bytes, its pax size record 20")
    }

    @Test func twoGNULongNamesForOneHeaderAreRefused() async throws {
        let (message, layer) = try await refusal(
            RawTar.longName("usr/first") + RawTar.longName("usr/second") + RawTar.file("usr/short", "x"))
        #expect(message == "layer \(layer): tar entry usr/second: its header has several GNU long-name records")
    }

    // MARK: Corrupt blobs

    /// A byte flipped mid-stream makes inflate produce garbage (or fail) long before the digest is known; the message
    /// is the digest mismatch, not what the garbage tripped on the way.
    @Test func aBlobCorruptedMidStreamIsReportedByItsDigest() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let entries: [FixtureEntry] = (0..<40).map {
            .file("usr/share/doc/f\($0).txt", LayoutFixture.text(count: 64 * 1024, seed: UInt64($0)))
        }
        let input = try fixture.writeLayout("in", images: [[FixtureLayer(entries: entries)]])
        let layer = try layerDigest(input)
        let blobPath = "\(input)/blobs/sha256/\(layer.encoded)"
        var blob = Array(try Data(contentsOf: URL(fileURLWithPath: blobPath)))
        for offset in stride(from: blob.count / 2, to: blob.count / 2 + 64, by: 4) { blob[offset] ^= 0x55 }
        try Data(blob).write(to: URL(fileURLWithPath: blobPath))
        let output = fixture.path("out")
        await #expect {
            try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: .dedup)).run()
        } throws: { error in
            "\(error)" == "blob \(layer): content hashes to sha256:\((try? SHA256Hasher.hash(blob).hexString) ?? "")"
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func aLayerThatIsNotATarIsRefused() async throws {
        let (message, layer) = try await refusal(Array(repeating: 0x41, count: 3000))
        #expect(message == "layer \(layer): not a tar archive: Unrecognized archive format")
    }

    @Test func aTruncatedTarIsRefused() async throws {
        let whole = RawTar.file("usr/a.txt", String(repeating: "a", count: 5000))
        let (message, layer) = try await refusal(Array(whole.prefix(2000)))
        #expect(
            message == "layer \(layer): tar entry usr/a.txt: the layer ends inside this entry's data (a truncated tar)")
    }

    // MARK: Sparse files

    /// A layer tar made by GNU tar (`--sparse`, pax format) from a tree: regular files, sparse files given as
    /// extents in a file of `size` bytes, and hardlinks; every file at the fixtures' mtime.
    static func gnuTar(
        files: [(String, [UInt8])] = [], sparse: [(String, [(Int, [UInt8])], size: Int)] = [],
        links: [(String, to: String)] = []
    ) throws -> [UInt8] {
        let directory = NSTemporaryDirectory() + "ocislim-tree-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func create(_ path: String) throws -> String {
            let full = "\(directory)/\(path)"
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            return full
        }
        for (path, data) in files { try Data(data).write(to: URL(fileURLWithPath: try create(path))) }
        for (path, extents, size) in sparse {
            let full = try create(path)
            _ = try LayoutFixture.run(["truncate", "-s", "\(size)", full])
            for (offset, data) in extents {
                _ = try LayoutFixture.run(
                    ["dd", "of=\(full)", "bs=1", "seek=\(offset)", "conv=notrunc", "status=none"], input: data)
            }
        }
        for (link, target) in links {
            _ = try LayoutFixture.run(["ln", "\(directory)/\(target)", try create(link)])
        }
        return try LayoutFixture.run([
            "tar", "--sparse", "--format=posix", "--pax-option=delete=atime,delete=ctime", "--sort=name",
            "--owner=0", "--group=0", "--numeric-owner", "--mtime=@1700000000", "-C", directory, "-cf", "-", "usr",
        ])
    }

    /// The content of `path` in an output layer, holes included, read by Python's tarfile.
    static func content(of path: String, in output: String, layer: Digest) throws -> [UInt8] {
        let tar = try LayoutFixture.tarBytes(output, digest: layer, compression: .gzip)
        let program = """
            import io, sys, tarfile
            t = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode="r:")
            sys.stdout.buffer.write(t.extractfile(sys.argv[1]).read())
            """
        return try LayoutFixture.run(["python3", "-c", program, path], input: tar)
    }

    static func expand(_ extents: [(Int, [UInt8])], size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        for (offset, data) in extents { bytes.replaceSubrange(offset..<(offset + data.count), with: data) }
        return bytes
    }

    /// Two sparse files whose stored blocks are the same bytes at other offsets are different files.
    @Test func dedupDoesNotLinkSparseFilesWithTheSameBlocksElsewhere() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let block = [UInt8](repeating: 0x78, count: 4096)
        let tar = try Self.gnuTar(
            files: [(Self.library + "c.txt", Array("same\n".utf8)), (Self.library + "d.txt", Array("same\n".utf8))],
            sparse: [
                (Self.library + "a.bin", [(0, block)], size: 1 << 20),
                (Self.library + "b.bin", [(8192, block)], size: 1 << 20),
            ]
        )
        let input = try fixture.writeLayout("in", images: [[FixtureLayer(entries: [], tar: tar), .interpreter]])
        let output = fixture.path("out")
        let report = try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: .dedup))
            .run()
        let layer = try #require(report.images.first?.layers.first).blob.new
        let listing = try LayoutFixture.listLayer(output, digest: layer, compression: .gzip)
        #expect(listing.contains(Self.library + "d.txt hardlink 0 -> \(Self.library)c.txt"))
        #expect(listing.contains(Self.library + "b.bin regular \(1 << 20)"))
        #expect(
            try Self.content(of: Self.library + "b.bin", in: output, layer: layer).elementsEqual(
                Self.expand([(8192, block)], size: 1 << 20)))
    }

    /// `sourceless` keeps sparse bytecode where it is, byte for byte, in a layer it rewrites for another module.
    @Test func sourcelessKeepsSparseBytecodeWithItsData() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tag = try LayoutFixture.hostCacheTag.get()
        let source = "X = 1\n"
        let header = try LayoutFixture.compile(source, path: "/" + Self.library + "m.py")
        let extents = [(0, header), (600_000, Array("after the hole".utf8))]
        let tar = try Self.gnuTar(
            files: [
                (Self.library + "m.py", Array(source.utf8)), (Self.library + "n.py", Array(source.utf8)),
                (
                    Self.library + "__pycache__/n.\(tag).pyc",
                    try LayoutFixture.compile(source, path: "/" + Self.library + "n.py")
                ),
            ],
            sparse: [(Self.library + "__pycache__/m.\(tag).pyc", extents, size: 1 << 20)]
        )
        let input = try fixture.writeLayout("in", images: [[FixtureLayer(entries: [], tar: tar), .interpreter]])
        let output = fixture.path("out")
        let report = try await ImageRewriter(
            options: RewriteOptions(input: input, output: output, strategy: .sourceless)
        ).run()
        let image = try #require(report.images.first)
        #expect(image.modules.converted == 1)
        #expect(image.modules.kept["sparse bytecode"] == 1)
        let layer = try #require(image.layers.first).blob.new
        #expect(
            try Self.content(of: Self.library + "__pycache__/m.\(tag).pyc", in: output, layer: layer).elementsEqual(
                Self.expand(extents, size: 1 << 20)))
    }

    /// A dropped sparse `.pyc` whose data a hardlink needs is written under the link's name with its sparse map and
    /// its extents at their offsets: the data after the hole survives.
    @Test func aSparseFileMovedForItsHardlinkKeepsTheDataAfterItsHole() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tag = try LayoutFixture.hostCacheTag.get()
        let extents = [(0, Array("HEAD".utf8)), (600_000, Array("after the hole".utf8))]
        let pyc = Self.library + "__pycache__/m.\(tag).pyc"
        let tar = try Self.gnuTar(
            sparse: [(pyc, extents, size: 1 << 20)], links: [(Self.library + "keep.pyc", to: pyc)])
        let input = try fixture.writeLayout("in", images: [[FixtureLayer(entries: [], tar: tar), .interpreter]])
        let output = fixture.path("out")
        let report = try await ImageRewriter(
            options: RewriteOptions(input: input, output: output, strategy: .dropBytecode)
        ).run()
        let layer = try #require(report.images.first?.layers.first).blob.new
        let listing = try LayoutFixture.listLayer(output, digest: layer, compression: .gzip)
        #expect(!listing.contains { $0.hasPrefix(pyc) })
        #expect(
            try Self.content(of: Self.library + "keep.pyc", in: output, layer: layer).elementsEqual(
                Self.expand(extents, size: 1 << 20)))
        try LayoutFixture.checkLayout(output)
    }
}
