import OCIImage

// containerd images/archive/exporter.go at v1.7.34 (`Export`, `manifestsRecord`, `writeTar`): `ctr images export`
// and Docker's containerd image store.

/// containerd's export: the layout as it is (its index structure and compressed blobs) and a `manifest.json` that
/// lets `docker load` read it; no `repositories`.
enum ContainerdArchiveWriter {
    static func write(_ images: [ArchiveImage], blobs: StagedBlobs, into members: ArchiveMemberWriter) throws {
        let staged = try StagedImage.load(images, in: blobs.layout) { $0.manifest.digest }
        // exporter.go manifestsRecord: json.Marshal of {Config, RepoTags, Layers}, names familiarized.
        let items: [GoJSON] = staged.map { image in
            .object([
                ("Config", .string("blobs/sha256/\(image.config.encoded)")),
                ("RepoTags", image.names.isEmpty ? .null : .strings(image.names.map(\.familiar))),
                ("Layers", .strings(image.layers.map { "blobs/sha256/\($0.digest.encoded)" })),
            ])
        }
        // `Export` writes manifest.json only when it found an image manifest (an index of absent platforms has none).
        let documents = items.isEmpty ? [] : [("manifest.json", GoJSON.array(items).encoded)]
        try LayoutArchiveWriter.write(blobs, documents: documents, into: members)
    }
}
