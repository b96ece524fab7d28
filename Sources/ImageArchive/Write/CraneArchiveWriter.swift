import OCIImage

// go-containerregistry pkg/v1/tarball/write.go (`MultiRefWrite`, `writeImagesToTar`, `calculateManifest`,
// `layerExtension`, `dedupRefToImage`): crane's `tarball` format.

/// crane's archive: per image its config as `sha256:<hex>` and its layers as the blobs they are, named
/// `<blob hex>` with the extension of their compression (`.tar.gz`, `.tar.zst`, `.tar`), each once; then
/// `manifest.json`, its entries sorted by their joined `RepoTags`. No `index.json`, no `repositories`.
///
/// Layers keep the compression the layout gives them, as go-containerregistry writes `Compressed()` bytes: the run's
/// `--compression` decided it, and the blobs keep their digests.
enum CraneArchiveWriter {
    static func write(_ images: [ArchiveImage], blobs: StagedBlobs, into members: ArchiveMemberWriter) throws {
        // One entry per image (manifest), as `dedupRefToImage` keeps one per image; two manifests of one config (the
        // same layers compressed two ways) stay two entries sharing the config member.
        let staged = try StagedImage.load(images, in: blobs.layout) { $0.manifest.digest }
        var seen: Set<Digest> = []
        var items: [(key: String, json: GoJSON)] = []
        for image in staged {
            if !seen.contains(image.config) {
                seen.insert(image.config)
                try members.file(image.config.description, image.configBytes)
            }
            var layerFiles: [String] = []
            var sources: [(String, GoJSON)] = []
            for (layer, diffID) in zip(image.layers, image.diffIDs) {
                let name = layer.digest.encoded + (try fileExtension(of: layer))
                layerFiles.append(name)
                if MediaType.isNondistributable(layer.mediaType) {
                    sources.append((diffID.description, descriptor(layer)))
                }
                guard !seen.contains(layer.digest) else { continue }
                seen.insert(layer.digest)
                try blobs.copy(layer, as: name, into: members)
            }
            let tags = try repoTags(image.image.repoTags)
            var fields: [(String, GoJSON)] = [
                ("Config", .string(image.config.description)),
                ("RepoTags", tags.isEmpty ? .null : .strings(tags)),
                ("Layers", .strings(layerFiles)),
            ]
            if !sources.isEmpty { fields.append(("LayerSources", .goMap(sources))) }
            items.append((tags.joined(separator: ","), .object(fields)))
        }
        // A stable sort: images with the same names keep their order.
        let sorted = items.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
        try members.file("manifest.json", GoJSON.array(sorted.map(\.element.json)).encoded)
    }

    /// The names as given (`tag.String()`), each once; a name without a tag gets `:latest`, since Docker cannot load
    /// an archive without an explicit tag (`dedupRefToImage`). Names pinned by digest are left out.
    private static func repoTags(_ names: [String]) throws -> [String] {
        var tags: [String] = []
        for text in names {
            guard let name = try TaggedName(parsing: text) else { continue }
            let tag = text.hasSuffix(":\(name.tag)") ? text : "\(text):\(name.tag)"
            if !tags.contains(tag) { tags.append(tag) }
        }
        return tags
    }

    /// `layerExtension`: `.tar.zst` for zstd, `.tar` for an uncompressed layer, `.tar.gz` otherwise.
    private static func fileExtension(of layer: Descriptor) throws -> String {
        switch try StagedBlobs.compression(of: layer) {
        case .zstd: ".tar.zst"
        case .uncompressed: ".tar"
        case .gzip: ".tar.gz"
        }
    }

    /// v1.Descriptor of a foreign layer: mediaType, size, digest, annotations.
    private static func descriptor(_ layer: Descriptor) -> GoJSON {
        var members: [(String, GoJSON)] = [
            ("mediaType", .string(layer.mediaType)), ("size", .integer(layer.size)),
            ("digest", .string(layer.digest.description)),
        ]
        if let annotations = layer.annotations, !annotations.isEmpty {
            members.append(("annotations", .goMap(annotations.map { ($0.key, .string($0.value)) })))
        }
        return .object(members)
    }
}
