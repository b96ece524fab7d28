import ByteIO
import Hashing
import OCIImage
import TestSupport
import Testing

@testable import ImageArchive

/// The member writer under every shape, and the bytes it gives.
@Suite struct WriteMemberTests {
    private struct Changed: Error, Equatable { let count: Int64 }

    @Test func aSourceShorterThanItsHeaderFails() throws {
        let members = try ArchiveMemberWriter(sink: MemorySink())
        #expect(throws: Changed(count: 3)) {
            try members.file("a", size: 4, from: MemorySource([1, 2, 3])) { Changed(count: $0) }
        }
    }

    @Test func aSourceLongerThanItsHeaderFailsBeforeItsExtraBytesAreWritten() throws {
        let sink = MemorySink()
        let members = try ArchiveMemberWriter(sink: sink)
        #expect(throws: Changed(count: 5)) {
            try members.file("a", size: 4, from: MemorySource([1, 2, 3, 4, 5])) { Changed(count: $0) }
        }
        // The header only: no byte of the data went out.
        #expect(sink.bytes.count == 512)
    }

    @Test func linksKeepTheirTargetAndDirectoriesTheirSlash() throws {
        let sink = MemorySink()
        let members = try ArchiveMemberWriter(sink: sink)
        try members.directory("d")
        try members.symlink("d/layer.tar", to: "../e/layer.tar")
        try members.finish()
        let read = try ArchiveWriteFixtures.members(of: sink.bytes)
        #expect(read.map(\.name) == ["d/", "d/layer.tar"])
        #expect(read.map(\.linkTarget) == [nil, "../e/layer.tar"])
    }

    /// The shapes whose bytes do not depend on how the fixture's layers were compressed: a change in member order,
    /// metadata or documents (Go's JSON, v1 ids) changes these hashes.
    @Test(arguments: [
        (DockerArchiveFlavor.legacy, "a5d8e5cf7e82e978e37edf1a21a14fda55366c29c75f8b44b03bc9854f917d16"),
        (.docker25, "2a5de995679b797fe12ae4e1def317170fb31187f22c1eb10c02479520198eaa"),
        (.skopeo, "1ccf20c55c5ada83fa986cecf86b2291e3dd03515c6a3c6df004e91d8d7a3220"),
    ])
    func uncompressedShapesHaveGoldenHashes(flavor: DockerArchiveFlavor, hash: String) throws {
        let archive = try WrittenArchive.make(.dockerArchive(flavor))
        defer { archive.fixture.cleanUp() }
        #expect(try SHA256Hasher.hash(archive.bytes).hexString == hash)
    }
}
