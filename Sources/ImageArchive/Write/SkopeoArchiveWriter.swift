import Hashing
import OCIImage

// containers/image docker/internal/tarfile/writer.go (`Writer`: `writeLegacyMetadataLocked`,
// `ensureManifestItemLocked`, `Close`) and dest.go (`PutBlobWithOptions`, `PutManifest`): skopeo's and podman's
// `docker-archive:`.

/// skopeo's archive, in the order its copy writes it: for each image its layers uncompressed as `<diff_id hex>.tar`
/// at the root (each once), its config as `<hex>.json`, then per layer a directory named by skopeo's own v1 id holding
/// `layer.tar` (a symbolic link to `../<diff_id hex>.tar`), `VERSION` and `json`; at the end `manifest.json` and
/// `repositories`, with host-qualified names (`docker.io/library/python:3.12`).
enum SkopeoArchiveWriter {
    static func write(_ images: [ArchiveImage], blobs: StagedBlobs, into members: ArchiveMemberWriter) throws {
        let staged = try StagedImage.load(images, in: blobs.layout) { $0.config.digest }
        var sent: Set<Digest> = []
        var legacyLayers: Set<String> = []
        var manifest: [GoJSON] = []
        var repositories: [String: [(String, GoJSON)]] = [:]
        for image in staged {
            for (layer, diffID) in zip(image.layers, image.diffIDs) where !sent.contains(diffID) {
                sent.insert(diffID)
                try blobs.writeUncompressed(layer, diffID: diffID, as: "\(diffID.encoded).tar", into: members)
            }
            if !sent.contains(image.config) {
                sent.insert(image.config)
                try members.file("\(image.config.encoded).json", image.configBytes)
            }
            let topID = try writeLegacyLayers(of: image, skipping: &legacyLayers, into: members)
            if let topID {
                for name in image.names {
                    repositories[name.repository, default: []].removeAll { $0.0 == name.tag }
                    repositories[name.repository, default: []].append((name.tag, .string(topID)))
                }
            }
            manifest.append(
                .object([
                    ("Config", .string("\(image.config.encoded).json")),
                    ("RepoTags", .strings(image.names.map(\.full))),
                    ("Layers", .strings(image.diffIDs.map { "\($0.encoded).tar" })),
                ]))
        }
        try members.file("manifest.json", GoJSON.array(manifest).encoded)
        try members.file("repositories", GoJSON.goMap(repositories.map { ($0.key, GoJSON.goMap($0.value)) }).encoded)
    }

    /// `writeLegacyMetadataLocked`: each layer's config is a map (sorted keys) of `parent`, for the top layer seven
    /// members of the image config as they are, and `layer_id` (the chain id) while its id is hashed. Returns the top
    /// layer's id.
    private static func writeLegacyLayers(
        of image: StagedImage, skipping written: inout Set<String>, into members: ArchiveMemberWriter
    ) throws -> String? {
        let chainIDs = try image.chainIDs()
        let raw = try RawJSONObject(image.configBytes, what: "blob \(image.config)").members
        var lastID: String?
        for (position, diffID) in image.diffIDs.enumerated() {
            var layerConfig: [(String, GoJSON)] = []
            if let lastID { layerConfig.append(("parent", .string(lastID))) }
            if position == image.diffIDs.count - 1 {
                for member in [
                    "architecture", "config", "container", "container_config", "created", "docker_version", "os",
                ] {
                    layerConfig.append((member, raw[member].map(GoJSON.raw) ?? .null))
                }
            }
            let hashed = GoJSON.goMap(layerConfig + [("layer_id", .string(chainIDs[position].description))]).encoded
            let id = try SHA256Hasher.hash(hashed).hexString
            if !written.contains(id) {
                written.insert(id)
                try members.symlink("\(id)/layer.tar", to: "../\(diffID.encoded).tar")
                try members.file("\(id)/VERSION", Array("1.0".utf8))
                try members.file("\(id)/json", GoJSON.goMap(layerConfig + [("id", .string(id))]).encoded)
            }
            lastID = id
        }
        return lastID
    }
}
