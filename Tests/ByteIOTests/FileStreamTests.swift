import ByteIO
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Files read and written through one descriptor; failures carry the path and `errno`.
@Suite struct FileStreamTests {
    @Test func writesEveryByteAndReadsThemBack() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let bytes = lcgBytes(count: 1 << 20)
        let sink = try FileSink(creating: fixture.path("f"))
        try sink.write(bytes)
        try sink.finish()
        try sink.finish()
        #expect(try readToEnd(try FileSource(path: fixture.path("f")), readSize: 4096) == bytes)
    }

    @Test func aMissingFileFailsWithENOENT() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = fixture.path("absent")
        #expect(throws: ByteIOError.open(path: path, errno: ENOENT)) { try FileSource(path: path) }
        #expect("\(ByteIOError.open(path: path, errno: ENOENT))" == "cannot open \(path): No such file or directory")
    }

    @Test func creatingAnExistingFileFailsWithEEXIST() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = fixture.path("f")
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ByteIOError.open(path: path, errno: EEXIST)) { try FileSink(creating: path) }
    }
}

/// Directory removal, syncing and real paths, which the output side's crash safety rests on.
@Suite struct DirectoryTests {
    @Test func removesATreeWithoutFollowingLinks() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let outside = fixture.path("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside + "/kept"))
        try FileManager.default.createDirectory(atPath: fixture.path("tree/a/b"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: fixture.path("tree/a/b/f")))
        try FileManager.default.createSymbolicLink(atPath: fixture.path("tree/link"), withDestinationPath: outside)
        try Directory.removeTree(fixture.path("tree"))
        #expect(!FileManager.default.fileExists(atPath: fixture.path("tree")))
        #expect(FileManager.default.fileExists(atPath: outside + "/kept"), "the link's target survives")
        try Directory.removeTree(fixture.path("tree"))  // a missing path is not an error
    }

    @Test func removesContentsButKeepsTheDirectory() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        try FileManager.default.createDirectory(atPath: fixture.path("d/sub"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: fixture.path("d/.hidden")))
        try Directory.removeContents(fixture.path("d"))
        #expect(try Directory.entries(fixture.path("d")).isEmpty)
    }

    @Test func syncsADirectoryAndNamesAMissingOne() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        try Directory.sync(fixture.root)
        let absent = fixture.path("absent")
        #expect(throws: ByteIOError.open(path: absent, errno: ENOENT)) { try Directory.sync(absent) }
    }

    @Test func resolvesPathsThroughLinksAndMissingComponents() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let real = RealPath.resolve(fixture.root)
        try FileManager.default.createDirectory(atPath: fixture.path("a/b"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.path("l"), withDestinationPath: fixture.path("a/b"))
        #expect(RealPath.resolve(fixture.path("l/new/../x/./y")) == real + "/a/b/x/y")
        #expect(RealPath.resolve(fixture.path("a/b/..")) == real + "/a")
        #expect(RealPath.isWithin(real + "/a/b", real + "/a"))
        #expect(!RealPath.isWithin(real + "/ab", real + "/a"))
        #expect(RealPath.isWithin(real, "/"))
    }
}
