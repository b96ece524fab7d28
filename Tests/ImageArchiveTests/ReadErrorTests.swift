import Foundation
import ImageArchive
import OCIImage
import TestSupport
import Testing

/// Archives whose files disagree, or that break out of themselves, are refused with one line naming the archive, the
/// member, and which file says what.
@Suite struct ReadErrorTests {
    private func name(of entry: FixtureEntry) -> String {
        switch entry {
        case .directory(let path), .file(let path, _, _, _), .hardlink(let path, _), .symlink(let path, _): path
        }
    }

    /// The members of a one-image archive of `shape`, changed by `edit`, written to a file; returns its path.
    private func archive(
        _ fixture: LayoutFixture, _ shape: ArchiveFixtures.Shape, images: [ArchiveFixtureImage] = [.small()],
        edit: (inout [FixtureEntry]) throws -> Void = { _ in }
    ) throws -> String {
        var entries = try ArchiveFixtures.members(shape, images: images)
        try edit(&entries)
        return try ArchiveFixtures.write(entries, to: fixture.path("image.tar"))
    }

    private func replace(_ entries: inout [FixtureEntry], _ name: String, with new: FixtureEntry?) {
        entries = entries.compactMap { self.name(of: $0) == name ? new : $0 }
    }

    private func failure(_ path: String, expected: ArchiveKind? = nil) -> String {
        do {
            try ReadShapeTests.readAll(try ImageArchives.open(path: path, expected: expected))
        } catch {
            return "\(error)"
        }
        return "no error"
    }

    private func layerName(_ entries: [FixtureEntry]) throws -> String {
        try #require(entries.map(name(of:)).first { $0.hasSuffix("/layer.tar") })
    }

    @Test func aDockerArchiveWithoutManifestJSON() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try archive(fixture, .legacy) { replace(&$0, "manifest.json", with: nil) }
        #expect(
            failure(path, expected: .dockerArchive) == "\(path): not a docker save archive: it has no manifest.json")
        #expect(
            failure(path)
                == "\(path): neither an OCI archive (no index.json and oci-layout) nor a docker save archive "
                + "(no manifest.json)")
    }

    @Test(arguments: [("null", "null"), ("{}", "an object"), ("\"x\"", "a string")])
    func manifestJSONThatIsNoList(_ text: String, _ kind: String) throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try archive(fixture, .legacy) { replace(&$0, "manifest.json", with: .text("manifest.json", text)) }
        #expect(failure(path) == "\(path): manifest.json: it is \(kind), not a list of images")
    }

    @Test func manifestJSONWithAnImageWithoutLayers() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try archive(fixture, .legacy) {
            replace(&$0, "manifest.json", with: .text("manifest.json", #"[{"Config":"x.json","RepoTags":null}]"#))
        }
        #expect(failure(path) == "\(path): manifest.json: image 0 has no \"Layers\" list")
    }

    @Test(arguments: [ArchiveFixtures.Shape.legacy, .docker25, .skopeo, .crane])
    func moreLayersThanDiffIDs(_ shape: ArchiveFixtures.Shape) throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        var configName = ""
        let path = try archive(fixture, shape) { entries in
            let list = try #require(entries.first { self.name(of: $0) == "manifest.json" })
            guard case .file(_, let bytes, _, _) = list else { return }
            var document = try JSONValue.parse(bytes, what: "manifest.json")
            guard case .array(var images) = document, var image = images.first,
                let layers = image["Layers"]?.arrayValue
            else { return }
            configName = image["Config"]?.stringValue ?? ""
            image["Layers"] = .array(layers + layers)
            images[0] = image
            document = .array(images)
            replace(&entries, "manifest.json", with: .file("manifest.json", try document.encoded()))
        }
        #expect(
            failure(path)
                == "\(path): manifest.json: image 0 (app:1) lists 2 layers, but its config \(configName) has 1 diff_ids"
        )
    }

    @Test func aLegacyLayerWhoseContentIsNotItsDiffID() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let built = try BuiltArchiveImage(.small())
        var layer = ""
        let other = try LayoutFixture.tar([.text("other", "not the layer the config names\n")])
        let path = try archive(fixture, .legacy) { entries in
            layer = try layerName(entries)
            replace(&entries, layer, with: .file(layer, other))
        }
        let actual = try ArchiveFixtures.digest(other)
        #expect(
            failure(path)
                == "\(path): \(layer): its content hashes to \(actual), but its config "
                + "\(built.configDigest.encoded).json says diff_ids[0] is \(built.layers[0].diffID)")
    }

    @Test func aSkopeoLayerNamedOtherwiseThanItsDiffID() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let built = try BuiltArchiveImage(.small())
        let wrong = String(repeating: "a", count: 64)
        let path = try archive(fixture, .skopeo) { entries in
            let name = "\(built.layers[0].digest.encoded).tar"
            replace(&entries, name, with: .file("\(wrong).tar", built.layers[0].blob))
            let list = String(
                decoding: try ArchiveFixtures.members(.skopeo, images: [.small()]).compactMap {
                    if case .file("manifest.json", let bytes, _, _) = $0 { bytes } else { nil }
                }.joined(), as: UTF8.self)
            replace(
                &entries, "manifest.json",
                with: .text("manifest.json", list.replacingOccurrences(of: name, with: "\(wrong).tar")))
        }
        #expect(
            failure(path)
                == "\(path): \(wrong).tar: its name says sha256:\(wrong), but its config "
                + "\(built.configDigest.encoded).json says diff_ids[0] is \(built.layers[0].diffID)")
    }

    @Test func manifestJSONAndIndexJSONDisagreeOnAConfig() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let images = ReadShapeTests.images(.docker25)
        let built = try images.map(BuiltArchiveImage.init)
        let path = try archive(fixture, .docker25, images: images) { entries in
            let first = "blobs/sha256/\(built[0].configDigest.encoded)"
            let second = "blobs/sha256/\(built[1].configDigest.encoded)"
            let list = try #require(
                entries.compactMap {
                    if case .file("manifest.json", let bytes, _, _) = $0 {
                        String(decoding: bytes, as: UTF8.self)
                    } else {
                        nil
                    }
                }.first)
            let swapped = list.replacingOccurrences(of: first, with: "#").replacingOccurrences(of: second, with: first)
                .replacingOccurrences(of: "#", with: second)
            replace(&entries, "manifest.json", with: .text("manifest.json", swapped))
        }
        #expect(
            failure(path)
                == "\(path): manifest.json: image 0 (app:1) has config \(built[1].configDigest), but index.json lists "
                + "app:1 as \(built[0].manifestDigest), whose config is \(built[0].configDigest)")
    }

    @Test func aMemberPathWithParentComponents() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try archive(fixture, .legacy) { $0.append(.text("x/../../escape", "1")) }
        #expect(
            failure(path) == "\(path): x/../../escape: its name has a '..' component, which would leave the archive")
    }

    @Test func aLayerSymlinkLeavingTheArchive() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        var layer = ""
        let path = try archive(fixture, .legacy) { entries in
            layer = try layerName(entries)
            replace(&entries, layer, with: .symlink(layer, to: "../../outside/layer.tar"))
        }
        #expect(failure(path) == "\(path): \(layer): its links lead outside the archive")
    }

    @Test func aLayerSymlinkLoop() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        var layer = ""
        let path = try archive(fixture, .legacy) { entries in
            layer = try layerName(entries)
            replace(&entries, layer, with: .symlink(layer, to: "layer.tar"))
        }
        #expect(failure(path) == "\(path): \(layer): its links loop (more than 40 hops)")
    }

    @Test func aReferencedMemberIsAbsent() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        var layer = ""
        let path = try archive(fixture, .legacy) { entries in
            layer = try layerName(entries)
            replace(&entries, layer, with: nil)
        }
        #expect(failure(path) == "\(path): \(layer): missing (layer 0 of image 0 in manifest.json)")
        let built = try BuiltArchiveImage(.small())
        let config = "\(built.configDigest.encoded).json"
        let noConfig = try archive(fixture, .legacy) { replace(&$0, config, with: nil) }
        #expect(failure(noConfig) == "\(noConfig): \(config): missing (the config of image 0 in manifest.json)")
    }

    @Test func theOtherKindThanTheTransportNamed() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let docker = try ArchiveFixtures.write(.legacy, images: [.small()], to: fixture.path("docker.tar"))
        #expect(
            failure(docker, expected: .ociArchive)
                == "\(docker): not an OCI archive: it has no index.json and oci-layout: it is a docker save archive "
                + "(read it as docker-archive:\(docker))")
        let oci = try ArchiveFixtures.write(.oci, images: [.small()], to: fixture.path("oci.tar"))
        #expect(
            failure(oci, expected: .dockerArchive)
                == "\(oci): not a docker save archive: it has no manifest.json: it is an OCI archive "
                + "(read it as oci-archive:\(oci))")
    }

    @Test func anUnsupportedLayoutVersion() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = try archive(fixture, .oci) {
            replace(&$0, "oci-layout", with: .text("oci-layout", #"{"imageLayoutVersion":"2.0.0"}"#))
        }
        #expect(failure(path) == "\(path): oci-layout: unsupported imageLayoutVersion \"2.0.0\" (expected \"1.0.0\")")
    }
}
