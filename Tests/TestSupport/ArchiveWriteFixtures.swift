import ByteIO
import Codecs
import Foundation
import Hashing
import OCIImage
import TarStream

/// One image of the archive-writing fixture layout: its descriptors, as the pipeline hands them to the writer.
public struct StagedFixtureImage: Sendable {
    public let manifest: Descriptor
    public let config: Descriptor
    public let layers: [Descriptor]
    public let diffIDs: [Digest]
    public let repoTags: [String]
}

/// One member of a written archive, as libarchive reads it back.
public struct WrittenArchiveMember: Sendable, Equatable {
    public let name: String
    public let kind: String
    public let permissions: UInt32
    public let uid: Int64
    public let gid: Int64
    public let mtime: Int64
    public let size: Int64
    public let linkTarget: String?
    /// The member's bytes (archives in these tests are small).
    public let data: [UInt8]

    /// `sha256:<hex>` of the bytes.
    public var digest: String { "sha256:" + ((try? SHA256Hasher.hash(data).hexString) ?? "") }

    /// The bytes as text.
    public var text: String { String(decoding: data, as: UTF8.self) }
}

/// A small layout for the archive writers, and a reader of what they write.
public enum ArchiveWriteFixtures {
    /// Three layers: A (gzip), B (uncompressed), C (zstd). Image 0, `app:1`, is A then B; image 1,
    /// `docker.io/library/tool:2`, is A, C, B: A is shared by both images at the same place, B sits at another place
    /// in each chain. With `docker`, the manifests and configs are Docker schema 2 ones.
    public static func makeLayout(in fixture: LayoutFixture, name: String = "staged", docker: Bool = false) throws -> (
        path: String, images: [StagedFixtureImage]
    ) {
        let layerA = FixtureLayer(entries: [.directory("etc"), .text("etc/a.txt", "layer a\n")], compression: .gzip)
        let layerB = FixtureLayer(entries: [.text("b.txt", "layer b <&>\n")], compression: .uncompressed)
        let layerC = FixtureLayer(
            entries: [.text("c.txt", String(repeating: "layer c\n", count: 300))], compression: .zstd)
        let path = try fixture.writeLayout(
            name, images: [[layerA, layerB], [layerA, layerC, layerB]], docker: docker)
        let tags = [["app:1"], ["docker.io/library/tool:2"]]
        let index = try ImageIndex.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: path + "/index.json"))), what: "index")
        var images: [StagedFixtureImage] = []
        for (position, manifest) in index.manifests.enumerated() {
            let blob = { (digest: Digest) in
                Array(try Data(contentsOf: URL(fileURLWithPath: "\(path)/blobs/sha256/\(digest.encoded)")))
            }
            let parsed = try ImageManifest.decode(try blob(manifest.digest), what: "manifest")
            let config = try ImageConfig.decode(try blob(parsed.config.digest), what: "config")
            images.append(
                StagedFixtureImage(
                    manifest: manifest, config: parsed.config, layers: parsed.layers, diffIDs: config.rootfs.diffIDs,
                    repoTags: tags[position]))
        }
        return (path, images)
    }

    /// Every member of a tar archive, in order.
    public static func members(of archive: [UInt8]) throws -> [WrittenArchiveMember] {
        let reader = try TarReader(source: MemorySource(archive))
        var members: [WrittenArchiveMember] = []
        while let entry = try reader.nextEntry() {
            members.append(
                WrittenArchiveMember(
                    name: entry.path.description, kind: "\(entry.kind)", permissions: entry.permissions,
                    uid: entry.uid, gid: entry.gid, mtime: entry.mtime, size: entry.size,
                    linkTarget: entry.linkTarget?.description, data: try reader.readData(limit: 64 << 20)))
        }
        return members
    }
}
