import ByteIO
import Codecs
import Foundation
import ImageArchive
import OCIImage
import TestSupport
import Testing

/// Every archive shape opens, is recognised by its content, and reads as an OCI layout whose blobs verify.
@Suite struct ReadShapeTests {
    static let dockerShapes: [ArchiveFixtures.Shape] = [.legacy, .docker25, .containerd, .skopeo, .crane]

    static func expectedShape(_ shape: ArchiveFixtures.Shape) -> ImageShape {
        switch shape {
        case .oci: .ociArchive
        case .legacy: .dockerArchive(.legacy)
        case .docker25: .dockerArchive(.docker25)
        case .containerd: .dockerArchive(.containerd)
        case .skopeo: .dockerArchive(.skopeo)
        case .crane: .dockerArchive(.crane)
        }
    }

    /// Two images; crane stores gzip layers, the others as the shape's writer does (containerd keeps them as pulled).
    static func images(_ shape: ArchiveFixtures.Shape) -> [ArchiveFixtureImage] {
        let compression: Compression = [.crane, .containerd, .oci].contains(shape) ? .gzip : .uncompressed
        let shared = FixtureLayer(entries: [.directory("usr"), .text("usr/base", "base\n")], compression: compression)
        return [
            ArchiveFixtureImage(
                layers: [shared, FixtureLayer(entries: [.text("app/m.py", "X = 1\n")], compression: compression)],
                repoTags: ["app:1", "registry.example:5000/team/app:1"]),
            ArchiveFixtureImage(
                layers: [shared, FixtureLayer(entries: [.text("app/n.py", "Y = 2\n")], compression: compression)],
                repoTags: ["other:2"]),
        ]
    }

    /// Reads every blob the source's index leads to (nested indexes too), each verified; returns the image
    /// manifests' descriptors.
    @discardableResult
    static func readAll(_ source: any ImageSource) throws -> [Descriptor] {
        let index = try ImageIndex.read(try source.indexBytes(), listedAs: nil, what: source.indexName)
        var manifests: [Descriptor] = []
        var pending = index.manifests
        while let descriptor = pending.popLast() {
            if !source.hasBlob(descriptor.digest) {
                #expect(source.allowsAbsentManifests)
                continue
            }
            let bytes = try source.readDocument(descriptor)
            if MediaType.isIndex(descriptor.mediaType) {
                pending += try ImageIndex.read(bytes, listedAs: descriptor.mediaType, what: "index").manifests
                continue
            }
            manifests.append(descriptor)
            let manifest = try ImageManifest.read(bytes, listedAs: descriptor.mediaType, what: "manifest")
            let config = try ImageConfig.read(try source.readDocument(manifest.config), what: "config")
            #expect(config.rootfs.diffIDs.count == manifest.layers.count)
            for layer in manifest.layers {
                #expect(MediaType.layerCompression(layer.mediaType) != nil)
                _ = try source.openBlob(layer).copy(to: CountingSink())
            }
        }
        return manifests
    }

    @Test(arguments: ArchiveFixtures.Shape.allCases)
    func eachShapeIsRecognisedByItsContentAndReadsWhole(_ shape: ArchiveFixtures.Shape) throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write(shape, images: Self.images(shape), to: fixture.path("image"))
        let source = try ImageArchives.open(path: path, expected: nil)
        #expect(source.shape == Self.expectedShape(shape))
        #expect(source.name == path)
        #expect(try source.layoutMarkerBytes() == ImageShape.layoutMarker)
        let manifests = try Self.readAll(source)
        // docker25 lists one index entry per tag.
        #expect(manifests.count == (shape == .docker25 ? 3 : 2))
    }

    @Test(arguments: ArchiveFixtures.Shape.allCases)
    func dotSlashNamesRepeatedDirectoriesAndAnyOrderReadTheSame(_ shape: ArchiveFixtures.Shape) throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let plain = try ArchiveFixtures.write(shape, images: Self.images(shape), to: fixture.path("plain"))
        let odd = try ArchiveFixtures.write(
            shape, images: Self.images(shape), to: fixture.path("odd"),
            layout: .init(dotSlash: true, repeatDirectories: true, reversed: true))
        let plainSource = try ImageArchives.open(path: plain, expected: nil)
        let oddSource = try ImageArchives.open(path: odd, expected: nil)
        #expect(oddSource.shape == plainSource.shape)
        #expect(try oddSource.indexBytes() == plainSource.indexBytes())
        try Self.readAll(oddSource)
    }

    @Test(arguments: dockerShapes)
    func repoTagsNameEachImage(_ shape: ArchiveFixtures.Shape) throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write(shape, images: Self.images(shape), to: fixture.path("image"))
        let source = try ImageArchives.open(path: path, expected: .dockerArchive)
        let index = try ImageIndex.read(try source.indexBytes(), listedAs: nil, what: "index")
        let tags = index.manifests.map { source.repoTags(ofManifest: $0.digest) }
        if shape == .docker25 {
            // One entry per tag, each mapped to its image's RepoTags.
            #expect(
                tags.map(Set.init) == [
                    ["app:1", "registry.example:5000/team/app:1"], ["app:1", "registry.example:5000/team/app:1"],
                    ["other:2"],
                ])
        } else {
            #expect(tags == [["app:1", "registry.example:5000/team/app:1"], ["other:2"]])
        }
        let first = try #require(index.manifests.first)
        let names = source.names(of: first)
        #expect(names.contains("app:1") && names.contains("registry.example:5000/team/app:1"))
        // The tag alone names no image of a docker archive.
        #expect(!names.contains("1"))
    }

    @Test(arguments: [ArchiveFixtures.Shape.legacy, .skopeo, .crane])
    func anIndexIsMadeFromManifestJSON(_ shape: ArchiveFixtures.Shape) throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write(shape, images: Self.images(shape), to: fixture.path("image"))
        let source = try ImageArchives.open(path: path, expected: nil)
        #expect(source.indexName == "\(path): the index made from manifest.json")
        let index = try ImageIndex.read(try source.indexBytes(), listedAs: nil, what: "index")
        #expect(index.mediaType == MediaType.ociIndex)
        let first = try #require(index.manifests.first)
        #expect(first.mediaType == MediaType.dockerManifest)
        #expect(first.annotations == [Annotation.refName: "1", Annotation.containerdImageName: "app:1"])
        let manifest = try ImageManifest.read(try source.readDocument(first), listedAs: first.mediaType, what: "m")
        #expect(manifest.config.mediaType == MediaType.dockerConfig)
        let built = try BuiltArchiveImage(Self.images(shape)[0])
        #expect(manifest.config.digest == built.configDigest)
        #expect(manifest.layers.map(\.digest) == built.layers.map(\.digest))
        let type = shape == .crane ? MediaType.dockerLayerGzip : MediaType.dockerLayer
        #expect(manifest.layers.map(\.mediaType) == [type, type])
        #expect(manifest.layers.map(\.size) == built.layers.map { Int64($0.blob.count) })
    }

    @Test func aZstdLayerGetsTheOCIZstdTypeAndItsHashAsDigest() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let image = ArchiveFixtureImage.small(compression: .zstd)
        // A legacy archive whose layer.tar is zstd: its name carries no digest, so it is hashed once at open.
        let path = try ArchiveFixtures.write(.legacy, images: [image], to: fixture.path("image"))
        let source = try ImageArchives.open(path: path, expected: nil)
        let manifests = try Self.readAll(source)
        let manifest = try ImageManifest.read(
            try source.readDocument(try #require(manifests.first)), listedAs: MediaType.dockerManifest, what: "m")
        let built = try BuiltArchiveImage(image)
        #expect(manifest.layers.map(\.mediaType) == [MediaType.ociLayerZstd])
        #expect(manifest.layers.map(\.digest) == [built.layers[0].digest])
    }

    @Test func aSparseContainerdExportCarriesItsAbsentPlatform() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write(
            .containerd, images: [.small(compression: .gzip)], to: fixture.path("image"), sparse: true)
        let source = try ImageArchives.open(path: path, expected: nil)
        #expect(source.shape == .dockerArchive(.containerd))
        #expect(source.allowsAbsentManifests)
        let index = try ImageIndex.read(try source.indexBytes(), listedAs: nil, what: "index")
        let top = try #require(index.manifests.first)
        #expect(top.mediaType == MediaType.ociIndex)
        #expect(source.repoTags(ofManifest: top.digest) == ["app:1"])
        let inner = try ImageIndex.read(try source.readDocument(top), listedAs: top.mediaType, what: "index")
        #expect(inner.manifests.map { source.hasBlob($0.digest) } == [true, false])
        #expect(try Self.readAll(source).count == 1)
        let absent = inner.manifests[1].digest
        #expect(source.blobLocation(absent) == "\(path): blobs/sha256/\(absent.encoded)")
        #expect(throws: OCIError.missingBlob(absent, path: "\(path): blobs/sha256/\(absent.encoded)")) {
            _ = try source.openBlob(inner.manifests[1])
        }
        // Read as an OCI archive, the export is just as sparse.
        let asOCI = try ImageArchives.open(path: path, expected: .ociArchive)
        #expect(asOCI.shape == .ociArchive)
        #expect(asOCI.allowsAbsentManifests)
        #expect(try Self.readAll(asOCI).count == 1)
    }

    @Test func aMisleadingFileNameDoesNotDecide() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write(.legacy, images: [.small()], to: fixture.path("image.oci.tar"))
        #expect(try ImageArchives.open(path: path, expected: nil).shape == .dockerArchive(.legacy))
    }

    @Test func aDocker25ArchiveReadAsAnOCIArchiveIsOne() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try ArchiveFixtures.write(.docker25, images: [.small()], to: fixture.path("image"))
        let source = try ImageArchives.open(path: path, expected: .ociArchive)
        #expect(source.shape == .ociArchive)
        try Self.readAll(source)
    }

    @Test func legacyLayersSeenTwiceAreOneMemberThroughTheirSymlink() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let images = Self.images(.legacy)
        let entries = try ArchiveFixtures.members(.legacy, images: images)
        #expect(entries.contains { if case .symlink = $0 { true } else { false } })
        let path = try ArchiveFixtures.write(entries, to: fixture.path("image"))
        let source = try ImageArchives.open(path: path, expected: .dockerArchive)
        #expect(try Self.readAll(source).count == 2)
    }

    @Test func aGzippedDockerSaveReadsAsTheArchiveItHolds() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tar = try LayoutFixture.tar(try ArchiveFixtures.members(.legacy, images: Self.images(.legacy)))
        let path = fixture.path("app.tar.gz")
        try Data(try LayoutFixture.compress(tar, .gzip)).write(to: URL(fileURLWithPath: path))
        let source = try ImageArchives.open(path: path, expected: .dockerArchive)
        #expect(source.shape == .dockerArchive(.legacy))
        #expect(source.name == path)
        #expect(try Self.readAll(source).count == 2)
    }
}
