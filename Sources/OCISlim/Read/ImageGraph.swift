import OCIImage

/// The documents reachable from a layout's `index.json`, read and verified, as a tree.
indirect enum GraphNode: Sendable {
    /// An index (or Docker manifest list) and its children, in order.
    case index(Descriptor, bytes: [UInt8], children: [GraphNode])
    /// An image manifest whose layers the tool can rewrite.
    case image(ImageNode)
    /// Anything else reachable (attestations, artifacts, signatures, images the tool cannot rewrite): copied as it is,
    /// with the blobs it references.
    case opaque(Descriptor, blobs: [Descriptor])

    var descriptor: Descriptor {
        switch self {
        case .index(let descriptor, _, _): descriptor
        case .image(let image): image.descriptor
        case .opaque(let descriptor, _): descriptor
        }
    }
}

/// An image manifest with its config, ready to plan.
struct ImageNode: Sendable {
    let descriptor: Descriptor
    let manifestBytes: [UInt8]
    let manifest: ImageManifest
    let configBytes: [UInt8]
    let config: ImageConfig
    /// Where the image sits, for messages: the ref name or platform.
    let label: String
}

/// The documents reachable from `index.json`: its bytes, its parsed form and the tree below it.
struct ImageGraph: Sendable {
    let bytes: [UInt8]
    let index: ImageIndex
    let children: [GraphNode]

    /// The rewritable images, in index order.
    var images: [ImageNode] { children.flatMap(\.images) }
}

extension GraphNode {
    /// The rewritable images in this subtree.
    var images: [ImageNode] {
        switch self {
        case .index(_, _, let children): children.flatMap(\.images)
        case .image(let image): [image]
        case .opaque: []
        }
    }
}

/// Reads the graph of documents from a layout.
struct GraphReader {
    let layout: ImageLayout
    let warn: @Sendable (String) -> Void

    /// Reads `index.json` and everything below it; returns the root's bytes and children.
    func read() throws -> ImageGraph {
        let bytes = try layout.indexBytes()
        let index = try ImageIndex.decode(bytes, what: "\(layout.path)/index.json")
        let children = try index.manifests.map { try node(for: $0, label: Self.label($0, parent: nil)) }
        return ImageGraph(bytes: bytes, index: index, children: children)
    }

    private func node(for descriptor: Descriptor, label: String) throws -> GraphNode {
        if MediaType.isIndex(descriptor.mediaType) {
            let bytes = try layout.readDocument(descriptor)
            let index = try ImageIndex.decode(bytes, what: "index \(descriptor.digest)")
            let children = try index.manifests.map { try node(for: $0, label: Self.label($0, parent: label)) }
            return .index(descriptor, bytes: bytes, children: children)
        }
        if MediaType.isManifest(descriptor.mediaType) {
            let bytes = try layout.readDocument(descriptor)
            let manifest = try ImageManifest.decode(bytes, what: "manifest \(descriptor.digest)")
            var blobs = [manifest.config] + manifest.layers
            guard MediaType.isImageConfig(manifest.config.mediaType) else {
                // An artifact (attestation, signature, SBOM): not a filesystem image.
                return .opaque(descriptor, blobs: blobs.filter { layout.hasBlob($0.digest) })
            }
            let configBytes = try layout.readDocument(manifest.config)
            let config = try ImageConfig.decode(configBytes, what: "config \(manifest.config.digest)")
            guard config.rootfs.diffIDs.count == manifest.layers.count else {
                throw OCIError.invalidDocument(
                    what: "config \(manifest.config.digest)",
                    reason: "\(config.rootfs.diffIDs.count) diff_ids for \(manifest.layers.count) layers "
                        + "in manifest \(descriptor.digest)"
                )
            }
            if let reason = unrewritableReason(manifest) {
                warn("image \(label) (\(descriptor.digest)) is copied unchanged: \(reason)")
                blobs = blobs.filter { layout.hasBlob($0.digest) }
                return .opaque(descriptor, blobs: blobs)
            }
            return .image(
                ImageNode(
                    descriptor: descriptor, manifestBytes: bytes, manifest: manifest, configBytes: configBytes,
                    config: config, label: label
                )
            )
        }
        // Unknown media type: copy the blob itself if the layout has it.
        return .opaque(descriptor, blobs: [])
    }

    private func unrewritableReason(_ manifest: ImageManifest) -> String? {
        for layer in manifest.layers {
            guard MediaType.layerCompression(layer.mediaType) != nil else {
                return "layer \(layer.digest) has media type \(layer.mediaType), which is not a filesystem layer"
            }
            guard layout.hasBlob(layer.digest) || !MediaType.isNondistributable(layer.mediaType) else {
                return "non-distributable layer \(layer.digest) is not in the layout"
            }
        }
        return nil
    }

    static func label(_ descriptor: Descriptor, parent: String?) -> String {
        let parts = [descriptor.referenceName, descriptor.platform?.name].compactMap { $0 }
        let own = parts.isEmpty ? descriptor.digest.short : parts.joined(separator: " ")
        return parent.map { "\($0) \(own)" } ?? own
    }
}
