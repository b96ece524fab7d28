import Hashing
import OCIImage

// moby image/tarexport/save.go at v25.0.17 and v28.5.2 (`saveSession.save`, `saveImage`, `saveConfigAndLayer`,
// `saveConfig`): Docker 25+'s `docker save` with the classic image store. Since v25.0.6 and v26.0.1 ("save: Remove
// platform from config descriptor") no descriptor carries a platform; 25.0.0–25.0.5 and 26.0.0 wrote the image's
// platform on the manifest's config and index entries.

/// Docker 25+'s archive: an OCI layout whose layers are uncompressed and named by diff_id, with the manifest moby
/// makes for each image (an OCI manifest of those layers, whatever manifest the image was pulled with), one legacy v1
/// JSON blob per layer that no manifest references, `index.json` naming each tag, and beside it `manifest.json`
/// (blob paths and `LayerSources`) and `repositories` (each tag's top diff_id), all consistent with each other.
enum Docker25ArchiveWriter {
    private static let layerType: String = MediaType.ociLayer

    static func write(_ images: [ArchiveImage], blobs: StagedBlobs, into members: ArchiveMemberWriter) throws {
        let staged = try StagedImage.load(images, in: blobs.layout) { $0.config.digest }
        var planned: [String: PlannedMember.Content] = [:]
        var indexEntries: [GoJSON] = []
        var manifest: [GoJSON] = []
        var repositories: [String: [(String, GoJSON)]] = [:]
        func blob(_ digest: Digest, _ content: PlannedMember.Content) {
            planned["blobs/sha256/\(digest.encoded)"] = content
        }
        for image in staged {
            guard !image.diffIDs.isEmpty else { throw ArchiveWriteError.noLayers(config: image.config) }
            // Every layer is described uncompressed; its size is measured (and its diff_id checked) here.
            var layers: [(diffID: Digest, size: Int64)] = []
            for (layer, diffID) in zip(image.layers, image.diffIDs) {
                layers.append((diffID, try blobs.uncompressedSize(of: layer, diffID: diffID)))
                blob(diffID, .layer(layer, diffID: diffID))
            }
            for json in try legacyConfigs(of: image) {
                blob(Digest(sha256Hex: try SHA256Hasher.hash(json).hexString), .document(json))
            }
            blob(image.config, .document(image.configBytes))
            let layerDescriptors = layers.map { descriptor(type: layerType, digest: $0.diffID, size: $0.size) }
            let manifestBytes = GoJSON.object([
                ("schemaVersion", .integer(2)),
                ("mediaType", .string(MediaType.ociManifest)),
                (
                    "config",
                    descriptor(type: MediaType.ociConfig, digest: image.config, size: Int64(image.configBytes.count))
                ),
                ("layers", .array(layerDescriptors)),
            ]).encoded
            let manifestDigest = Digest(sha256Hex: try SHA256Hasher.hash(manifestBytes).hexString)
            blob(manifestDigest, .document(manifestBytes))
            let size = Int64(manifestBytes.count)
            if image.names.isEmpty {
                indexEntries.append(
                    descriptor(type: MediaType.ociManifest, digest: manifestDigest, size: size))
            }
            for name in image.names {
                let annotations = GoJSON.goMap([
                    (Annotation.containerdImageName, .string(name.full)), (Annotation.refName, .string(name.tag)),
                ])
                indexEntries.append(
                    descriptor(
                        type: MediaType.ociManifest, digest: manifestDigest, size: size, annotations: annotations))
                repositories[name.familiarRepository, default: []].removeAll { $0.0 == name.tag }
                repositories[name.familiarRepository, default: []].append(
                    (name.tag, .string(layers[layers.count - 1].diffID.encoded)))
            }
            // distribution.Descriptor: mediaType, size, digest.
            let sources = GoJSON.goMap(
                layers.map {
                    (
                        $0.diffID.description,
                        .object([
                            ("mediaType", .string(layerType)), ("size", .integer($0.size)),
                            ("digest", .string($0.diffID.description)),
                        ])
                    )
                })
            manifest.append(
                .object([
                    ("Config", .string("blobs/sha256/\(image.config.encoded)")),
                    ("RepoTags", image.names.isEmpty ? .null : .strings(image.names.map(\.familiar))),
                    ("Layers", .strings(layers.map { "blobs/sha256/\($0.diffID.encoded)" })),
                    ("LayerSources", sources),
                ]))
        }
        let index = GoJSON.object([
            ("schemaVersion", .integer(2)), ("mediaType", .string(MediaType.ociIndex)),
            ("manifests", .array(indexEntries)),
        ])
        var top: [PlannedMember] = [
            PlannedMember(name: "blobs", content: .directory),
            PlannedMember(name: "blobs/sha256", content: .directory),
            PlannedMember(name: "index.json", content: .document(index.encoded)),
            PlannedMember(name: "manifest.json", content: .document(GoJSON.array(manifest).encodedLine)),
            // moby writes this one by hand, with a space after the colon.
            PlannedMember(name: "oci-layout", content: .document(Array(#"{"imageLayoutVersion": "1.0.0"}"#.utf8))),
        ]
        if !repositories.isEmpty {
            let document = GoJSON.goMap(repositories.map { ($0.key, GoJSON.goMap($0.value)) })
            top.append(PlannedMember(name: "repositories", content: .document(document.encodedLine)))
        }
        let all = top + planned.map { PlannedMember(name: $0.key, content: $0.value) }
        try PlannedMember.writeWalked(all, blobs: blobs, into: members)
    }

    /// The v1 JSON of each layer of the image, as `saveConfig` writes it (ids as Docker ≤ 24 computes them).
    static func legacyConfigs(of image: StagedImage) throws -> [[UInt8]] {
        let chainIDs = try image.chainIDs()
        let top = LegacyV1Image(config: image.configDocument, release: .docker25)
        let os = image.configString("os")
        var parent: Digest?
        var configs: [[UInt8]] = []
        for position in image.layers.indices {
            let v1Image = position == image.layers.count - 1 ? top : LegacyV1Image.intermediate(release: .docker25)
            let id = try v1Image.id(chainID: chainIDs[position], parent: parent)
            configs.append(v1Image.withOS(os).json(id: id, parent: parent))
            parent = id
        }
        return configs
    }

    /// ocispec.Descriptor: mediaType, digest, size, annotations.
    private static func descriptor(type: String, digest: Digest, size: Int64, annotations: GoJSON? = nil) -> GoJSON {
        var members: [(String, GoJSON)] = [
            ("mediaType", .string(type)), ("digest", .string(digest.description)), ("size", .integer(size)),
        ]
        if let annotations { members.append(("annotations", annotations)) }
        return .object(members)
    }
}
