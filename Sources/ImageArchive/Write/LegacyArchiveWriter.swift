import OCIImage

// moby image/tarexport/save.go at v24.0.9 (`saveSession.save`, `saveImage`, `saveLayer`): Docker ≤ 24's `docker save`.

/// Docker ≤ 24's archive: a directory per layer named by its v1 id (`VERSION`, `json`, `layer.tar` uncompressed),
/// `<config hex>.json`, `manifest.json` and `repositories`.
///
/// A layer whose v1 id was written already (the same lower layers in two images) is written once; a layer whose
/// diff_id was written under another v1 id (the same tar at another place in a chain) gets its directory with a
/// relative symbolic link `../<first v1 id>/layer.tar` as its `layer.tar`, as moby links it.
enum LegacyArchiveWriter {
    static func write(_ images: [ArchiveImage], blobs: StagedBlobs, into members: ArchiveMemberWriter) throws {
        let staged = try StagedImage.load(images, in: blobs.layout) { $0.config.digest }
        var planned: [PlannedMember] = []
        var savedLayers: Set<Digest> = []
        var layerPaths: [Digest: String] = [:]
        var manifest: [GoJSON] = []
        var repositories: [String: [(String, GoJSON)]] = [:]
        for image in staged {
            guard !image.diffIDs.isEmpty else { throw ArchiveWriteError.noLayers(config: image.config) }
            let chainIDs = try image.chainIDs()
            let top = LegacyV1Image(config: image.configDocument, release: .docker24)
            var parent: Digest?
            var layerIDs: [Digest] = []
            for (position, layer) in image.layers.enumerated() {
                let isTop = position == image.layers.count - 1
                let v1Image = isTop ? top : LegacyV1Image.intermediate(release: .docker24)
                let id = try v1Image.id(chainID: chainIDs[position], parent: parent)
                let diffID = image.diffIDs[position]
                if !savedLayers.contains(id) {
                    savedLayers.insert(id)
                    let directory = id.encoded
                    planned += [
                        PlannedMember(name: directory, content: .directory),
                        PlannedMember(name: "\(directory)/VERSION", content: .document(Array("1.0".utf8))),
                        PlannedMember(
                            name: "\(directory)/json",
                            content: .document(v1Image.withOS(image.configString("os")).json(id: id, parent: parent))),
                    ]
                    if let first = layerPaths[diffID] {
                        planned.append(
                            PlannedMember(name: "\(directory)/layer.tar", content: .symlink(to: "../\(first)")))
                    } else {
                        layerPaths[diffID] = "\(directory)/layer.tar"
                        planned.append(
                            PlannedMember(name: "\(directory)/layer.tar", content: .layer(layer, diffID: diffID)))
                    }
                }
                layerIDs.append(id)
                parent = id
            }
            planned.append(PlannedMember(name: "\(image.config.encoded).json", content: .document(image.configBytes)))
            let topID = layerIDs[layerIDs.count - 1].encoded
            for name in image.names {
                repositories[name.familiarRepository, default: []].removeAll { $0.0 == name.tag }
                repositories[name.familiarRepository, default: []].append((name.tag, .string(topID)))
            }
            manifest.append(
                .object([
                    ("Config", .string("\(image.config.encoded).json")),
                    ("RepoTags", image.names.isEmpty ? .null : .strings(image.names.map(\.familiar))),
                    ("Layers", .strings(layerIDs.map { "\($0.encoded)/layer.tar" })),
                ]))
        }
        planned.append(PlannedMember(name: "manifest.json", content: .document(GoJSON.array(manifest).encodedLine)))
        if !repositories.isEmpty {
            let document = GoJSON.goMap(repositories.map { ($0.key, GoJSON.goMap($0.value)) })
            planned.append(PlannedMember(name: "repositories", content: .document(document.encodedLine)))
        }
        try PlannedMember.writeWalked(planned, blobs: blobs, into: members)
    }
}
