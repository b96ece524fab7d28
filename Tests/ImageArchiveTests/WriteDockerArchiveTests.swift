import Hashing
import ImageArchive
import OCIImage
import TestSupport
import Testing

/// Each `docker save` shape as its tool writes it, from the fixture layout: image 0 `app:1` is A (gzip), B
/// (uncompressed); image 1 `docker.io/library/tool:2` is A, C (zstd), B.
@Suite struct WriteDockerArchiveTests {
    // MARK: Docker ≤ 24

    @Test func legacyArchiveHasOneDirectoryPerV1Layer() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.legacy))
        defer { archive.fixture.cleanUp() }
        let manifest = try #require(archive.json("manifest.json").arrayValue)
        #expect(manifest.count == 2)
        let layers = manifest.map { $0["Layers"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        #expect(manifest.map { $0["RepoTags"] } == [.array([.string("app:1")]), .array([.string("tool:2")])])
        for (item, image) in zip(manifest, archive.images) {
            let config = "\(image.config.digest.encoded).json"
            #expect(item["Config"] == .string(config))
            #expect(try archive.member(config).data == archive.blob(image.config.digest))
        }
        // A: the same bottom layer of both images, written once.
        #expect(layers[0][0] == layers[1][0])
        let ids = layers.map { $0.map { String($0.dropLast("/layer.tar".count)) } }
        let directories = Set(ids.joined())
        #expect(directories.count == 4)
        // B again, at another place in image 1's chain: a link to the first one.
        let link = try archive.member(layers[1][2])
        #expect(link.kind == "symlink" && link.linkTarget == "../\(layers[0][1])")
        for (paths, image) in zip(layers, archive.images) {
            for (path, diffID) in zip(paths, image.diffIDs) {
                let member = try archive.member(path)
                let file = member.kind == "symlink" ? try archive.member(layers[0][1]) : member
                #expect(file.digest == diffID.description, "\(path)")
            }
            var parent: String?
            for id in paths.map({ String($0.dropLast("/layer.tar".count)) }) {
                #expect(try archive.member("\(id)/VERSION").text == "1.0")
                let json = try archive.json("\(id)/json")
                #expect(json["id"] == .string(id) && json["parent"] == parent.map(JSONValue.string))
                #expect(json["os"] == .string("linux"))
                parent = id
            }
        }
        #expect(
            try archive.member("repositories").text
                == #"{"app":{"1":"\#(ids[0][1])"},"tool":{"2":"\#(ids[1][2])"}}"# + "\n")
        // A directory walk: names sorted within each directory, a directory's members right after it.
        var expected: [String] = []
        for name in (directories.map { $0 + "/" } + archive.images.map { "\($0.config.digest.encoded).json" }).sorted()
        {
            expected.append(name)
            if name.hasSuffix("/") { expected += ["VERSION", "json", "layer.tar"].map { name + $0 } }
        }
        #expect(archive.names == expected + ["manifest.json", "repositories"])
    }

    @Test func legacyV1IDsAreMobys() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.legacy))
        defer { archive.fixture.cleanUp() }
        let manifest = try #require(archive.json("manifest.json").arrayValue)
        let bottom = try #require(manifest[0]["Layers"]?.arrayValue?.first?.stringValue)
        // v1.CreateID of a lower layer: V1Image{Created: epoch} as Go encodes it, as a map with layer_id (the chain
        // id, which is the bottom diff_id) — the JSON of every lower layer of a `docker save` archive.
        let hashed =
            #"{"container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"#
            + #""AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","#
            + #""Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"#
            + #""created":"1970-01-01T00:00:00Z","layer_id":"\#(archive.images[0].diffIDs[0])"}"#
        let id = try SHA256Hasher.hash(Array(hashed.utf8)).hexString
        #expect(bottom == "\(id)/layer.tar")
        #expect(
            try archive.member("\(id)/json").text
                == #"{"id":"\#(id)","created":"1970-01-01T00:00:00Z","container_config":{"Hostname":"","#
                + #""Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"#
                + #""Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"#
                + #""WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"os":"linux"}"#)
    }

    @Test func imagesOfOneConfigAreListedOnceWithAllTheirNames() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.legacy)) { images in
            var again = images[0]
            again.repoTags = [
                "app:2", "app:1", "registry.example:5000/team/app", "app@sha256:" + String(repeating: "a", count: 64),
            ]
            return [images[0], again]
        }
        defer { archive.fixture.cleanUp() }
        let manifest = try #require(archive.json("manifest.json").arrayValue)
        #expect(manifest.count == 1)
        #expect(
            manifest[0]["RepoTags"]
                == .array(["app:1", "app:2", "registry.example:5000/team/app:latest"].map(JSONValue.string)))
    }

    // MARK: Docker 25+

    @Test func docker25ArchiveIsAConsistentLayoutOfUncompressedLayers() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.docker25))
        defer { archive.fixture.cleanUp() }
        let blobs = archive.members.filter { $0.name.hasPrefix("blobs/sha256/") && $0.kind == "regular" }
        #expect(
            archive.names
                == ["blobs/", "blobs/sha256/"] + blobs.map(\.name).sorted() + [
                    "index.json", "manifest.json", "oci-layout", "repositories",
                ])
        for blob in blobs { #expect(blob.digest == "sha256:" + blob.name.dropFirst("blobs/sha256/".count)) }
        #expect(try archive.member("oci-layout").text == #"{"imageLayoutVersion": "1.0.0"}"#)

        let index = try archive.json("index.json")
        #expect(index["mediaType"] == .string(MediaType.ociIndex))
        let entries = try #require(index["manifests"]?.arrayValue)
        #expect(
            entries.map { $0["annotations"] } == [
                .object([
                    "io.containerd.image.name": .string("docker.io/library/app:1"),
                    "org.opencontainers.image.ref.name": .string("1"),
                ]),
                .object([
                    "io.containerd.image.name": .string("docker.io/library/tool:2"),
                    "org.opencontainers.image.ref.name": .string("2"),
                ]),
            ])
        let items = try #require(archive.json("manifest.json").arrayValue)
        var referenced: Set<String> = []
        for ((entry, item), image) in zip(zip(entries, items), archive.images) {
            #expect(entry["platform"] == nil)
            let manifestPath = "blobs/sha256/" + (try #require(entry["digest"]?.stringValue)).dropFirst("sha256:".count)
            let manifest = try archive.json(manifestPath)
            #expect(manifest["mediaType"] == .string(MediaType.ociManifest))
            #expect(manifest["config"]?["digest"] == .string(image.config.digest.description))
            #expect(manifest["config"]?["platform"] == nil)
            #expect(item["Config"] == .string("blobs/sha256/\(image.config.digest.encoded)"))
            let layers = try #require(manifest["layers"]?.arrayValue)
            let paths = image.diffIDs.map { "blobs/sha256/\($0.encoded)" }
            #expect(item["Layers"] == .array(paths.map(JSONValue.string)))
            for ((layer, path), diffID) in zip(zip(layers, paths), image.diffIDs) {
                let member = try archive.member(path)
                #expect(layer["digest"] == .string(diffID.description))
                #expect(layer["mediaType"] == .string(MediaType.ociLayer))
                #expect(layer["size"] == .integer(member.size))
                #expect(item["LayerSources"]?[diffID.description] == layer)
            }
            referenced.formUnion([manifestPath, "blobs/sha256/\(image.config.digest.encoded)"] + paths)
        }
        // One v1 JSON per distinct v1 layer (A, B of image 0; C, B of image 1), referenced by no manifest.
        let legacy = blobs.filter { !referenced.contains($0.name) }
        #expect(legacy.count == 4)
        for blob in legacy { #expect(try JSONValue.parse(blob.data, what: blob.name)["id"] != nil) }
        let top = archive.images[0].diffIDs[1].encoded
        #expect(try archive.member("repositories").text == #"{"app":{"1":"\#(top)"},"tool":{"2":"\#(top)"}}"# + "\n")
    }

    @Test func docker25ArchiveOfADockerManifestHoldsTheOCIManifestMobyWrites() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.docker25), docker: true)
        defer { archive.fixture.cleanUp() }
        #expect(archive.images[0].manifest.mediaType == MediaType.dockerManifest)
        let entries = try #require(archive.json("index.json")["manifests"]?.arrayValue)
        for (entry, image) in zip(entries, archive.images) {
            let digest = try #require(entry["digest"]?.stringValue)
            let manifest = try archive.json("blobs/sha256/" + digest.dropFirst("sha256:".count))
            #expect(entry["mediaType"] == .string(MediaType.ociManifest))
            #expect(manifest["mediaType"] == .string(MediaType.ociManifest))
            #expect(
                manifest["config"]
                    == .object([
                        "mediaType": .string(MediaType.ociConfig), "digest": .string(image.config.digest.description),
                        "size": .integer(image.config.size),
                    ]))
            #expect(
                manifest["layers"]?.arrayValue?.map { $0["mediaType"] }
                    == image.layers.map { _ in .string(MediaType.ociLayer) })
        }
    }

    @Test(arguments: [DockerArchiveFlavor.legacy, .docker25])
    func imagesWithoutNamesAreSavedUntagged(flavor: DockerArchiveFlavor) throws {
        let archive = try WrittenArchive.make(.dockerArchive(flavor)) { images in
            images.map { image in
                var untagged = image
                untagged.repoTags = []
                return untagged
            }
        }
        defer { archive.fixture.cleanUp() }
        #expect(try archive.json("manifest.json").arrayValue?.map { $0["RepoTags"] } == [.null, .null])
        #expect(!archive.names.contains("repositories"))
        if flavor == .docker25 {
            let entries = try #require(archive.json("index.json")["manifests"]?.arrayValue)
            #expect(entries.count == 2 && entries.allSatisfy { $0["annotations"] == nil })
        }
    }

    // MARK: containerd

    @Test func containerdArchiveKeepsTheLayoutAndAddsManifestJSON() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.containerd))
        defer { archive.fixture.cleanUp() }
        let staged = try LayoutFixture.files(under: archive.layoutPath)
        let blobNames = staged.keys.filter { $0.hasPrefix("blobs/") }.sorted()
        #expect(
            archive.names
                == ["blobs/", "blobs/sha256/"] + blobNames + ["index.json", "manifest.json", "oci-layout"])
        for name in blobNames + ["index.json", "oci-layout"] { #expect(try archive.member(name).data == staged[name]) }
        let items = try #require(archive.json("manifest.json").arrayValue)
        #expect(items.map { $0["RepoTags"] } == [strings("app:1"), strings("tool:2")])
        for (item, image) in zip(items, archive.images) {
            #expect(item["Config"] == .string("blobs/sha256/\(image.config.digest.encoded)"))
            #expect(item["Layers"] == .array(image.layers.map { .string("blobs/sha256/\($0.digest.encoded)") }))
        }
    }

    @Test func containerdArchiveWithoutImagesHasNoManifestJSON() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.containerd)) { _ in [] }
        defer { archive.fixture.cleanUp() }
        #expect(!archive.names.contains("manifest.json") && archive.names.contains("index.json"))
    }

    // MARK: skopeo

    @Test func skopeoArchiveHasLayersAtTheRootAndLinksInV1Directories() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.skopeo))
        defer { archive.fixture.cleanUp() }
        let images = archive.images
        let (a, b, c) = (images[0].diffIDs[0].encoded, images[0].diffIDs[1].encoded, images[1].diffIDs[1].encoded)
        let manifest = try #require(archive.json("manifest.json").arrayValue)
        #expect(
            manifest.map { $0["RepoTags"] } == [
                strings("docker.io/library/app:1"), strings("docker.io/library/tool:2"),
            ])
        #expect(manifest[1]["Layers"] == strings("\(a).tar", "\(c).tar", "\(b).tar"))
        for (name, diffID) in [(a, images[0].diffIDs[0]), (b, images[0].diffIDs[1]), (c, images[1].diffIDs[1])] {
            #expect(try archive.member("\(name).tar").digest == diffID.description)
        }
        let links = archive.members.filter { $0.kind == "symlink" }
        let ids = links.map { String($0.name.dropLast("/layer.tar".count)) }
        #expect(links.map(\.linkTarget) == ["../\(a).tar", "../\(b).tar", "../\(c).tar", "../\(b).tar"])
        var expected = ["\(a).tar", "\(b).tar", "\(images[0].config.digest.encoded).json"]
        expected += ids[0...1].flatMap { ["\($0)/layer.tar", "\($0)/VERSION", "\($0)/json"] }
        expected += ["\(c).tar", "\(images[1].config.digest.encoded).json"]
        expected += ids[2...3].flatMap { ["\($0)/layer.tar", "\($0)/VERSION", "\($0)/json"] }
        #expect(archive.names == expected + ["manifest.json", "repositories"])
        let top = try archive.json("\(ids[1])/json")
        #expect(top["parent"] == .string(ids[0]) && top["id"] == .string(ids[1]))
        #expect(
            top["architecture"] == .string("amd64") && top["docker_version"] == .null && top["config"]?["Cmd"] != nil)
        #expect(
            try archive.member("repositories").text
                == #"{"docker.io/library/app":{"1":"\#(ids[1])"},"docker.io/library/tool":{"2":"\#(ids[3])"}}"#)
    }

    @Test(arguments: DockerArchiveFlavor.allCases)
    func dockerArchiveIsReadBySkopeo(flavor: DockerArchiveFlavor) throws {
        guard Tool.exists("skopeo") else { return }
        let archive = try WrittenArchive.make(.dockerArchive(flavor))
        defer { archive.fixture.cleanUp() }
        let path = try archive.file(named: "out.tar")
        for (position, image) in archive.images.enumerated() {
            let run = try Tool.run(["skopeo", "inspect", "docker-archive:\(path):@\(position)"])
            #expect(run.status == 0, "\(run.errors)")
            let inspected = try JSONValue.parse(run.output, what: "skopeo inspect")
            #expect(inspected["Layers"] == .array(image.diffIDs.map { .string($0.description) }))
        }
    }

    // MARK: crane

    @Test func craneArchiveKeepsBlobsAsTheyAre() throws {
        let archive = try WrittenArchive.make(.dockerArchive(.crane)) { $0.reversed() }
        defer { archive.fixture.cleanUp() }
        let images = archive.images
        let (a, b, c) = (images[1].layers[0].digest, images[1].layers[2].digest, images[1].layers[1].digest)
        #expect(
            archive.names == [
                images[1].config.digest.description, "\(a.encoded).tar.gz", "\(c.encoded).tar.zst",
                "\(b.encoded).tar", images[0].config.digest.description, "manifest.json",
            ])
        #expect(try archive.member("\(c.encoded).tar.zst").data == archive.blob(c))
        #expect(try archive.member(images[0].config.digest.description).data == archive.blob(images[0].config.digest))
        // Sorted by joined RepoTags, whatever the order of the images.
        let manifest = try #require(archive.json("manifest.json").arrayValue)
        #expect(manifest.map { $0["RepoTags"] } == [strings("app:1"), strings("docker.io/library/tool:2")])
        #expect(manifest[0]["Layers"] == strings("\(a.encoded).tar.gz", "\(b.encoded).tar"))
        #expect(manifest[0]["Config"] == .string(images[0].config.digest.description))
    }
}

/// A JSON array of strings.
private func strings(_ values: String...) -> JSONValue { .array(values.map(JSONValue.string)) }
