import ByteIO
import Foundation
import ImageArchive
import OCIImage
import TestSupport

/// A fixture layout written as an archive of one shape, read back.
struct WrittenArchive {
    let fixture: LayoutFixture
    let layoutPath: String
    let images: [StagedFixtureImage]
    let bytes: [UInt8]
    let members: [WrittenArchiveMember]

    /// Writes the fixture layout (`ArchiveWriteFixtures.makeLayout`) as `shape`; `adjust` may change the images
    /// handed to the writer.
    static func make(
        _ shape: ImageShape, docker: Bool = false, adjust: ([ArchiveImage]) -> [ArchiveImage] = { $0 }
    ) throws -> WrittenArchive {
        let fixture = try LayoutFixture.make()
        do {
            let (path, images) = try ArchiveWriteFixtures.makeLayout(in: fixture, docker: docker)
            let bytes = try write(path: path, images: adjust(images.map(\.archiveImage)), shape: shape)
            return WrittenArchive(
                fixture: fixture, layoutPath: path, images: images, bytes: bytes,
                members: try ArchiveWriteFixtures.members(of: bytes))
        } catch {
            fixture.cleanUp()
            throw error
        }
    }

    static func write(path: String, images: [ArchiveImage], shape: ImageShape) throws -> [UInt8] {
        let sink = MemorySink()
        try ImageArchives.write(layout: try ImageLayout(path: path), images: images, shape: shape, to: sink)
        return sink.bytes
    }

    var names: [String] { members.map(\.name) }

    func member(_ name: String) throws -> WrittenArchiveMember {
        guard let member = members.first(where: { $0.name == name }) else {
            throw FixtureFailure("no member \(name) in \(names)")
        }
        return member
    }

    /// A member's JSON.
    func json(_ name: String) throws -> JSONValue { try JSONValue.parse(try member(name).data, what: name) }

    /// The bytes of a blob of the staged layout.
    func blob(_ digest: Digest) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(layoutPath)/blobs/sha256/\(digest.encoded)")))
    }

    /// Writes the archive to a file in the fixture directory, for tools that read files.
    func file(named name: String) throws -> String {
        let path = fixture.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension StagedFixtureImage {
    var archiveImage: ArchiveImage {
        ArchiveImage(manifest: manifest, config: config, layers: layers, repoTags: repoTags)
    }
}

/// Every archive shape.
let archiveShapes: [ImageShape] = [.ociArchive] + DockerArchiveFlavor.allCases.map { .dockerArchive($0) }
