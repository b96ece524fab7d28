import ByteIO
import Codecs
import Foundation
import OCIImage
import TarStream
import TestSupport
import Testing

@testable import ImageArchive

/// The one pass over an archive: member names, data offsets, repeated records, links followed inside the archive.
@Suite struct ArchiveIndexTests {
    private func scan(_ entries: [FixtureEntry]) throws -> (ArchiveIndex, LayoutFixture) {
        let fixture = try LayoutFixture.make()
        let path = try ArchiveFixtures.write(entries, to: fixture.path("a.tar"))
        return (try ArchiveIndex.scan(path: path), fixture)
    }

    private func contents(_ index: ArchiveIndex, _ name: String) throws -> String {
        let member = try #require(try index.resolve(name))
        return String(decoding: try index.open(member).readAll(limit: 1 << 20), as: UTF8.self)
    }

    private func failure(_ body: () throws -> Void) -> String {
        do {
            try body()
        } catch {
            return "\(error)"
        }
        return "no error"
    }

    @Test func membersAreReadInPlaceByTheirDataOffset() throws {
        let big = String(repeating: "x", count: 70_000)
        let (index, fixture) = try scan([.text("a", "first"), .text("dir/b", big), .text("c", "")])
        defer { fixture.cleanUp() }
        #expect(try contents(index, "a") == "first")
        #expect(try contents(index, "dir/b") == big)
        #expect(try contents(index, "c") == "")
        // a: header and one data block; dir/b: its header, then its data.
        #expect(index.members["dir/b"]?.offset == 1536)
    }

    @Test func aMemberBehindAPaxHeaderIsReadFromItsData() throws {
        let long = String(repeating: "d/", count: 80) + "f"
        let (index, fixture) = try scan([.text("a", "1"), .text(long, "behind a pax header"), .text("z", "2")])
        defer { fixture.cleanUp() }
        #expect(try contents(index, long) == "behind a pax header")
        #expect(try contents(index, "z") == "2")
    }

    @Test func namesAreNormalised() throws {
        let (index, fixture) = try scan([.text("./x//y/./z", "z"), .directory("./"), .text(".//w", "w")])
        defer { fixture.cleanUp() }
        #expect(Set(index.members.keys) == ["x/y/z", "w"])
        #expect(try contents(index, "./x/y//z") == "z")
    }

    @Test func theLastRecordOfANameWinsAndDirectoriesMayRepeat() throws {
        let (index, fixture) = try scan([
            .directory("d"), .text("d/f", "old"), .directory("d"), .text("d/f", "new"), .directory("./d"),
        ])
        defer { fixture.cleanUp() }
        #expect(try contents(index, "d/f") == "new")
        #expect(index.members["d"]?.kind == .directory)
    }

    @Test func symlinksAreFollowedRelativeToTheirDirectory() throws {
        let (index, fixture) = try scan([
            .text("one/layer.tar", "L"), .symlink("two/layer.tar", to: "../one/layer.tar"),
            .symlink("three", to: "two"), .hardlink("four", to: "one/layer.tar"),
        ])
        defer { fixture.cleanUp() }
        #expect(try contents(index, "two/layer.tar") == "L")
        #expect(try contents(index, "three/layer.tar") == "L")
        #expect(try contents(index, "four") == "L")
        #expect(try index.resolve("absent") == nil)
    }

    @Test func aSymlinkLeavingTheArchiveIsRefused() throws {
        let (index, fixture) = try scan([.symlink("a/layer.tar", to: "../../etc/passwd"), .symlink("b", to: "/etc")])
        defer { fixture.cleanUp() }
        #expect(
            failure { _ = try index.resolve("a/layer.tar") }
                == "\(index.path): a/layer.tar: its links lead outside the archive")
        #expect(
            failure { _ = try index.resolve("b/passwd") }
                == "\(index.path): b/passwd: its links lead outside the archive")
    }

    @Test func aSymlinkLoopIsRefused() throws {
        let (index, fixture) = try scan([.symlink("a", to: "b"), .symlink("b", to: "./a")])
        defer { fixture.cleanUp() }
        #expect(failure { _ = try index.resolve("a") } == "\(index.path): a: its links loop (more than 40 hops)")
    }

    @Test func aMemberNameWithParentComponentsIsRefused() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write([.text("ok", "1"), .text("a/../../evil", "2")], to: fixture.path("a.tar"))
        #expect(
            failure { _ = try ArchiveIndex.scan(path: path) }
                == "\(path): a/../../evil: its name has a '..' component, which would leave the archive")
    }

    @Test func aTruncatedArchiveIsRefusedNamingIt() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write(
            [.text("a", "1"), .file("b", LayoutFixture.noise(count: 10_000, seed: 1))], to: fixture.path("a.tar"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(4096).write(to: URL(fileURLWithPath: path))
        #expect(failure { _ = try ArchiveIndex.scan(path: path) } == "\(path): after b: the archive is truncated")
    }

    @Test(arguments: [Compression.gzip, .zstd])
    func aCompressedArchiveIsDecompressedOnceIntoANamelessFile(_ compression: Compression) throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = fixture.path("a.tar.gz")
        let tar = try LayoutFixture.tar([.text("a", "first"), .text("b", "second")])
        try Data(try LayoutFixture.compress(tar, compression)).write(to: URL(fileURLWithPath: path))
        let spills = fixture.path("tmp")
        try FileManager.default.createDirectory(atPath: spills, withIntermediateDirectories: true)
        let index = try ArchiveIndex.scan(path: path, temporaryDirectory: spills)
        #expect(try contents(index, "b") == "second")
        #expect(index.file.size == Int64(tar.count))
        // The decompressed tar has no name: nothing is left to clean up.
        #expect(try FileManager.default.contentsOfDirectory(atPath: spills).isEmpty)
    }

    @Test func aTruncatedCompressedArchiveIsRefusedNamingIt() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = fixture.path("a.tar.gz")
        let tar = try LayoutFixture.tar([.file("a", LayoutFixture.noise(count: 100_000, seed: 2))])
        let compressed = try LayoutFixture.compress(tar, .gzip)
        try Data(compressed.prefix(compressed.count / 2)).write(to: URL(fileURLWithPath: path))
        #expect(
            failure { _ = try ArchiveIndex.scan(path: path) }
                == "\(path): truncated gzip stream: the data ends before the gzip trailer")
    }

    @Test func anArchiveInAnotherCompressionIsRefusedNamingIt() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = fixture.path("a.tar.bz2")
        try Data("BZh91AY&SY".utf8).write(to: URL(fileURLWithPath: path))
        #expect(
            failure { _ = try ArchiveIndex.scan(path: path) }
                == "\(path): the archive is bzip2-compressed; ocislim reads tar archives, uncompressed or compressed "
                + "with gzip or zstd: decompress it first")
    }

    @Test func notATarIsRefused() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = fixture.path("a.tar")
        try Data(String(repeating: "not a tar ", count: 100).utf8).write(to: URL(fileURLWithPath: path))
        #expect(failure { _ = try ArchiveIndex.scan(path: path) }.hasPrefix("\(path): not a tar archive ("))
    }

    @Test func aHardLinkLeavingTheArchiveIsRefused() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write([.text("a", "1"), .hardlink("b", to: "../a")], to: fixture.path("a.tar"))
        #expect(
            failure { _ = try ArchiveIndex.scan(path: path) }
                == "\(path): b: its hard link to ../a leads outside the archive")
    }

    @Test func aSparseMemberIsIndexedButNotReadAsABlob() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let directory = fixture.path("tree")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A file with a real hole, which GNU tar's --sparse stores as extents.
        _ = try Tool.output(["truncate", "-s", "1048576", directory + "/s"], input: [])
        _ = try Tool.output(
            ["dd", "of=\(directory)/s", "bs=1", "seek=600000", "conv=notrunc", "status=none"], input: Array("x".utf8))
        let path = fixture.path("a.tar")
        _ = try Tool.output(["tar", "--sparse", "--format=gnu", "-C", directory, "-cf", path, "s"], input: [])
        let index = try ArchiveIndex.scan(path: path)
        let member = try #require(try index.resolve("s"))
        #expect(member.isSparse)
        #expect(
            failure { _ = try index.open(member) }
                == "\(path): s: it is stored as a sparse file, which no image tool writes")
    }
}
