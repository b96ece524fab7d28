import Foundation
import ImageArchive
import OCIImage
import TestSupport
import Testing

/// What every archive shape shares: fixed metadata, identical bytes run to run, layers that hash to their diff_ids.
@Suite struct WriteArchiveTests {
    @Test(arguments: archiveShapes)
    func twoWritesGiveIdenticalBytes(shape: ImageShape) throws {
        let archive = try WrittenArchive.make(shape)
        defer { archive.fixture.cleanUp() }
        let again = try WrittenArchive.write(
            path: archive.layoutPath, images: archive.images.map(\.archiveImage), shape: shape)
        #expect(again == archive.bytes)
    }

    @Test(arguments: archiveShapes)
    func membersHaveFixedOwnerModeAndTime(shape: ImageShape) throws {
        let archive = try WrittenArchive.make(shape)
        defer { archive.fixture.cleanUp() }
        for member in archive.members {
            #expect(member.uid == 0 && member.gid == 0 && member.mtime == 0, "\(member.name)")
            let mode: UInt32 =
                switch member.kind {
                case "directory": 0o755
                case "symlink": 0o777
                default: 0o644
                }
            #expect(member.permissions == mode, "\(member.name) is \(member.kind)")
            #expect(["regular", "directory", "symlink"].contains(member.kind), "\(member.name)")
        }
    }

    @Test func layoutShapeIsNotAnArchive() throws {
        let error = #expect(throws: ArchiveWriteError.self) { try WrittenArchive.make(.layout) }
        #expect(error?.description == "layout is not an archive shape")
    }

    // MARK: oci-archive

    @Test func ociArchiveIsTheLayoutTarredInWalkOrder() throws {
        let archive = try WrittenArchive.make(.ociArchive)
        defer { archive.fixture.cleanUp() }
        let blobs = try LayoutFixture.files(under: archive.layoutPath + "/blobs/sha256")
        #expect(
            archive.names
                == ["blobs/", "blobs/sha256/"] + blobs.keys.sorted().map { "blobs/sha256/\($0)" } + [
                    "index.json", "oci-layout",
                ])
        for (name, bytes) in blobs { #expect(try archive.member("blobs/sha256/\(name)").data == bytes) }
        let files = try LayoutFixture.files(under: archive.layoutPath)
        #expect(try archive.member("index.json").data == files["index.json"])
        #expect(try archive.member("oci-layout").data == files["oci-layout"])
    }

    @Test func ociArchiveIsReadBySkopeo() throws {
        guard Tool.exists("skopeo") else { return }
        let archive = try WrittenArchive.make(.ociArchive)
        defer { archive.fixture.cleanUp() }
        let path = try archive.file(named: "out.tar")
        let run = try Tool.run(["skopeo", "inspect", "--raw", "oci-archive:\(path):tag1"])
        #expect(run.status == 0, "\(run.errors)")
        let manifest = try JSONValue.parse(run.output, what: "skopeo")
        #expect(manifest["layers"]?.arrayValue?.count == 3)
    }

    // MARK: Failures

    @Test func aLayerThatIsNotItsDiffIDIsRefused() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (path, images) = try ArchiveWriteFixtures.makeLayout(in: fixture)
        // Image 0 (A, B) with image 1's layer C in place of B.
        var image = images[0].archiveImage
        image.layers[1] = images[1].layers[1]
        let error = #expect(throws: ArchiveWriteError.self) {
            try WrittenArchive.write(path: path, images: [image], shape: .dockerArchive(.skopeo))
        }
        #expect(
            error?.description
                == "layer \(images[1].layers[1].digest) decompresses to \(images[1].diffIDs[1]), but its config's "
                + "diff_id is \(images[0].diffIDs[1])")
    }

    @Test func anUncompressedLayerThatIsNotItsDiffIDIsRefused() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (path, images) = try ArchiveWriteFixtures.makeLayout(in: fixture)
        // Image 1 (A, C, B) with its uncompressed B where C was: B's blob is not C's diff_id.
        var image = images[1].archiveImage
        image.layers[1] = images[1].layers[2]
        let error = #expect(throws: ArchiveWriteError.self) {
            try WrittenArchive.write(path: path, images: [image], shape: .dockerArchive(.legacy))
        }
        #expect(
            error?.description
                == "layer \(images[1].layers[2].digest) decompresses to \(images[1].layers[2].digest), but its "
                + "config's diff_id is \(images[1].diffIDs[1])")
    }

    @Test func aConfigWithAnotherLayerCountIsRefused() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (path, images) = try ArchiveWriteFixtures.makeLayout(in: fixture)
        var image = images[0].archiveImage
        image.config = images[1].config
        let error = #expect(throws: ArchiveWriteError.self) {
            try WrittenArchive.write(path: path, images: [image], shape: .dockerArchive(.crane))
        }
        #expect(
            error?.description == "config \(images[1].config.digest) lists 3 diff_ids, but its manifest lists 2 layers")
    }

    @Test func aLayerThatIsNoFilesystemLayerIsRefused() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (path, images) = try ArchiveWriteFixtures.makeLayout(in: fixture)
        var image = images[0].archiveImage
        image.layers[0].mediaType = "application/vnd.example.thing"
        let error = #expect(throws: ArchiveWriteError.self) {
            try WrittenArchive.write(path: path, images: [image], shape: .dockerArchive(.docker25))
        }
        #expect(
            error?.description
                == "blob \(images[0].layers[0].digest) has media type \"application/vnd.example.thing\", which is "
                + "not a filesystem layer")
    }

    @Test(arguments: archiveShapes)
    func aFailingSinkStopsTheWriteWithItsError(shape: ImageShape) throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (path, images) = try ArchiveWriteFixtures.makeLayout(in: fixture)
        #expect(throws: FailingSink.Failure.refused) {
            try ImageArchives.write(
                layout: try ImageLayout(path: path), images: images.map(\.archiveImage), shape: shape, to: FailingSink()
            )
        }
    }

    @Test func aTamperedBlobIsRefusedWhileItStreams() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (path, images) = try ArchiveWriteFixtures.makeLayout(in: fixture)
        let layer = images[0].layers[1]
        let blobPath = "\(path)/blobs/sha256/\(layer.digest.encoded)"
        var bytes = try LayoutFixture.files(under: path + "/blobs/sha256")[layer.digest.encoded] ?? []
        bytes[0] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: blobPath))
        let error = #expect(throws: OCIError.self) {
            try WrittenArchive.write(path: path, images: [images[0].archiveImage], shape: .ociArchive)
        }
        #expect(error?.description.hasPrefix("blob \(layer.digest): content hashes to sha256:") == true)
    }
}
