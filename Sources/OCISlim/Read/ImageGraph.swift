import OCIImage

/// One document as its parents list it. The same blob listed with another media type or size is read again under
/// that listing (and verified against it); listed again the same way, it is the same node.
struct DocumentKey: Hashable, Sendable {
    let digest: Digest
    let mediaType: String
    let size: Int64

    init(_ descriptor: Descriptor) {
        digest = descriptor.digest
        mediaType = descriptor.mediaType
        size = descriptor.size
    }
}

/// A document reachable from a layout's `index.json`, read and verified. Nodes refer to their children by
/// descriptor, not by value: indexes may share children (a graph, not a tree), and each is read and written once.
enum GraphNode: Sendable {
    /// An index (or Docker manifest list) and the descriptors it lists, in order.
    case index(Descriptor, bytes: [UInt8], children: [Descriptor])
    /// An image manifest whose layers the tool can rewrite.
    case image(ImageNode)
    /// A manifest that refers to another document (a signature, an attestation): written after its subject, as
    /// the `ReferrerPolicy` says.
    case referrer(ReferrerNode)
    /// Anything else reachable (artifacts, images the tool cannot rewrite, platforms not selected): copied as it is,
    /// with the blobs it references.
    case opaque(Descriptor, blobs: [Descriptor])
    /// A document the source does not hold (a sparse archive's other platforms): its descriptor is carried over.
    case absent(Descriptor)
}

/// An image manifest with its config, ready to plan.
package struct ImageNode: Sendable {
    package let descriptor: Descriptor
    package let manifestBytes: [UInt8]
    package let manifest: ImageManifest
    package let configBytes: [UInt8]
    package let config: ImageConfig
    /// Where the image sits, for messages: the ref name or platform.
    package let label: String
}

/// The documents reachable from `index.json`: its bytes, its parsed form and every document below it, once each.
/// When the input reference selects some of the index's entries, `bytes` and `index` list only those.
package struct ImageGraph: Sendable {
    let bytes: [UInt8]
    let index: ImageIndex
    /// Every document reachable from `index.json`.
    let nodes: [DocumentKey: GraphNode]
    /// The rewritable images, each once, in the order a depth-first walk from `index.json` first reaches them.
    package let images: [ImageNode]
    /// The documents listed but absent from the source, carried over as descriptors.
    let absent: [Descriptor]
    /// Every referrer reachable from `index.json`, in the order first reached.
    let referrers: [ReferrerNode]
    /// With `--scan-blobs`: the referrers found only as loose blobs, listed by no index, in digest order.
    var looseReferrers: [ReferrerNode] = []
    /// The first listing of each digest reached, to find a referrer's subject.
    let keys: [Digest: DocumentKey]

    /// The entries of `index.json` other than referrers (cosign tags, OCI referrers listed at the top): the images
    /// and indexes an output name names.
    var listedImages: [Descriptor] {
        index.manifests.filter {
            if case .referrer = nodes[DocumentKey($0)] { false } else { true }
        }
    }

    /// The graph node of the document `digest` names, if it is reachable.
    func node(_ digest: Digest) -> (DocumentKey, GraphNode)? {
        guard let key = keys[digest], let node = nodes[key] else { return nil }
        return (key, node)
    }

    /// Whether rewriting may give the document `digest` a new digest: it is a selected image, an index above one,
    /// or a referrer whose subject may change. What `--signatures refuse` counts, before any layer is read.
    func mayChange(_ digest: Digest) -> Bool {
        var seen: Set<Digest> = []
        var pending = [digest]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, let (_, node) = node(next) else { continue }
            switch node {
            case .image: return true
            case .index(_, _, let children): pending += children.map(\.digest)
            case .referrer(let referrer): pending.append(referrer.subject)
            case .opaque, .absent: break
            }
        }
        return false
    }
}

/// Reads the graph of documents from a source.
///
/// Each document is read once however many indexes list it (a graph where each index lists the next one twice would
/// otherwise be walked path by path, 2^n times), and indexes nest at most `depthLimit` deep, so the walk's recursion
/// is bounded whatever the input.
package struct GraphReader {
    let source: any ImageSource
    var selection = ImageSelection()
    /// `--scan-blobs`: also look for referrers among the blobs no index lists.
    var scanBlobs = false
    let warn: @Sendable (String) -> Void

    /// Makes a reader of `source`'s graph, keeping the images `selection` picks.
    package init(
        source: any ImageSource, selection: ImageSelection = ImageSelection(), scanBlobs: Bool = false,
        warn: @escaping @Sendable (String) -> Void
    ) {
        self.source = source
        self.selection = selection
        self.scanBlobs = scanBlobs
        self.warn = warn
    }

    /// Indexes nested deeper than this below `index.json` are refused; real images nest two or three.
    static let depthLimit = 64

    /// Reads `index.json` and everything below it, and refuses a referrer that names a document above it
    /// (`ReferrerAncestry`); loose referrers name documents of the graph, so they cannot.
    package func read() throws -> ImageGraph {
        let listedBytes = try source.indexBytes()
        let listed = try ImageIndex.read(listedBytes, listedAs: nil, what: source.indexName)
        let chosen = try selection.entries(of: listed, in: source)
        var (bytes, index) = (listedBytes, listed)
        if chosen.count != listed.manifests.count {
            bytes = try DocumentPatcher.index(listedBytes, keeping: chosen, what: source.indexName)
            index = try ImageIndex.read(bytes, listedAs: nil, what: source.indexName)
            warnOfTagsLeft(listed: listed, chosen: chosen)
        }
        var walk = Walk(reader: self)
        for descriptor in index.manifests {
            _ = try walk.visit(descriptor, label: label(descriptor, parent: nil), depth: 1)
        }
        if walk.images.isEmpty && !selection.platforms.isEmpty {
            throw SelectionError.noSuchPlatform(
                source: source.name, wanted: selection.platforms, available: walk.platformsSeen)
        }
        let absent = walk.nodes.values.compactMap { node -> Descriptor? in
            if case .absent(let descriptor) = node { return descriptor }
            return nil
        }
        var graph = ImageGraph(
            bytes: bytes, index: index, nodes: walk.nodes, images: walk.images,
            absent: absent.sorted { $0.digest < $1.digest }, referrers: walk.referrers, keys: walk.keys)
        try ReferrerAncestry.check(graph)
        if scanBlobs { graph.looseReferrers = try looseReferrers(besides: graph) }
        return graph
    }

    /// Says which cosign tags of the chosen images the input reference leaves behind: the output holds only what it
    /// selects, so they are not carried (nor acted on), and that must not go unsaid.
    private func warnOfTagsLeft(listed: ImageIndex, chosen: [Int]) {
        let chosenDigests = Set(chosen.map { listed.manifests[$0].digest })
        let left = listed.manifests.enumerated().compactMap { position, entry -> String? in
            guard !chosen.contains(position), let tag = entry.referenceName,
                let subject = ReferrerDetector.cosignSubject(tag: tag), chosenDigests.contains(subject)
            else { return nil }
            return tag
        }
        guard !left.isEmpty else { return }
        warn(
            "the input reference selects part of \(source.name); the cosign tags of what it selects are not "
                + "carried: \(left.joined(separator: ", ")) (read the whole layout to act on them)")
    }

    /// The referrers among the blobs no document of `graph` lists (`--scan-blobs`): each blob small enough to be a
    /// manifest is read as one, and kept if it names a document of `graph` as its subject. Blobs that are not
    /// manifests, and referrers of documents no longer in the image (garbage a layout kept), are skipped.
    private func looseReferrers(besides graph: ImageGraph) throws -> [ReferrerNode] {
        var listed = Set(graph.keys.keys)
        for node in graph.nodes.values {
            switch node {
            case .image(let image):
                listed.formUnion([image.manifest.config.digest] + image.manifest.layers.map(\.digest))
            case .referrer(let referrer): listed.formUnion(referrer.blobs.map(\.digest))
            case .opaque(_, let blobs): listed.formUnion(blobs.map(\.digest))
            case .index, .absent: break
            }
        }
        var found: [ReferrerNode] = []
        for blob in try source.storedBlobs()
        where !listed.contains(blob.digest) && blob.size <= ReferrerDetector.manifestLimit {
            let descriptor = Descriptor(mediaType: MediaType.ociManifest, digest: blob.digest, size: blob.size)
            guard let bytes = try? source.readDocument(descriptor),
                let manifest = try? ImageManifest.read(bytes, listedAs: MediaType.ociManifest, what: "blob"),
                let (kind, subject) = ReferrerDetector.subject(of: descriptor, manifest: manifest),
                graph.node(subject) != nil
            else { continue }
            var referrer = referrerNode(descriptor, bytes: bytes, manifest: manifest, kind: kind, subject: subject)
            referrer.loose = true
            found.append(referrer)
        }
        return found
    }

    /// The state of one walk: the documents read so far.
    private struct Walk {
        let reader: GraphReader
        var nodes: [DocumentKey: GraphNode] = [:]
        var images: [ImageNode] = []
        var referrers: [ReferrerNode] = []
        var keys: [Digest: DocumentKey] = [:]
        /// The platforms of the images seen, for the message when `--platform` matches none.
        var platformsSeen: [Platform] = []
        /// Per document visited, the longest chain of indexes from it down, itself included (0 for a non-index): a
        /// second visit from deeper down checks the depth of that chain without walking it again.
        var heights: [DocumentKey: Int] = [:]

        /// Reads `descriptor` (at `depth` indexes below `index.json`) and what it lists, unless already read;
        /// returns its height.
        mutating func visit(_ descriptor: Descriptor, label: String, depth: Int) throws -> Int {
            let key = DocumentKey(descriptor)
            if keys[descriptor.digest] == nil { keys[descriptor.digest] = key }
            let isIndex = MediaType.isIndex(descriptor.mediaType)
            if let height = heights[key] {
                guard depth + height - 1 <= GraphReader.depthLimit else { throw Self.tooDeep(descriptor) }
                return height
            }
            if reader.source.allowsAbsentManifests && !reader.source.hasBlob(descriptor.digest) {
                reader.warn("\(label) (\(descriptor.digest)) is not in \(reader.source.name): carried over as listed")
                nodes[key] = .absent(descriptor)
                heights[key] = 0
                return 0
            }
            guard isIndex else {
                let (node, platform) = try reader.document(descriptor, label: label)
                if case .image(let image) = node { images.append(image) }
                if case .referrer(let referrer) = node { referrers.append(referrer) }
                if let platform, !platformsSeen.contains(platform) { platformsSeen.append(platform) }
                nodes[key] = node
                heights[key] = 0
                return 0
            }
            guard depth <= GraphReader.depthLimit else { throw Self.tooDeep(descriptor) }
            let bytes = try reader.source.readDocument(descriptor)
            let index = try ImageIndex.read(bytes, listedAs: descriptor.mediaType, what: "index \(descriptor.digest)")
            var below = 0
            for child in index.manifests {
                let height = try visit(child, label: reader.label(child, parent: label), depth: depth + 1)
                below = max(below, height)
            }
            nodes[key] = .index(descriptor, bytes: bytes, children: index.manifests)
            heights[key] = below + 1
            return below + 1
        }

        private static func tooDeep(_ descriptor: Descriptor) -> OCIError {
            OCIError.invalidDocument(
                what: "index \(descriptor.digest)",
                reason: "indexes are nested more than \(GraphReader.depthLimit) deep")
        }
    }

    /// A document other than an index: an image, or something copied as it is; with the image's platform (its
    /// descriptor's, else its config's) when it is one, for the message when `--platform` matches nothing.
    fileprivate func document(_ descriptor: Descriptor, label: String) throws -> (GraphNode, Platform?) {
        if MediaType.isManifest(descriptor.mediaType) {
            let bytes = try source.readDocument(descriptor)
            let manifest = try ImageManifest.read(
                bytes, listedAs: descriptor.mediaType, what: "manifest \(descriptor.digest)")
            var blobs = [manifest.config] + manifest.layers
            if !isFilesystemImage(manifest),
                let (kind, subject) = ReferrerDetector.subject(of: descriptor, manifest: manifest)
            {
                let referrer = referrerNode(descriptor, bytes: bytes, manifest: manifest, kind: kind, subject: subject)
                return (.referrer(referrer), nil)
            }
            guard MediaType.isImageConfig(manifest.config.mediaType) else {
                // An artifact (attestation, signature, SBOM): not a filesystem image.
                return (.opaque(descriptor, blobs: blobs.filter { source.hasBlob($0.digest) }), nil)
            }
            let configBytes = try source.readDocument(manifest.config)
            let config = try ImageConfig.read(configBytes, what: "config \(manifest.config.digest)")
            guard config.rootfs.diffIDs.count == manifest.layers.count else {
                throw OCIError.invalidDocument(
                    what: "config \(manifest.config.digest)",
                    reason: "\(config.rootfs.diffIDs.count) diff_ids for \(manifest.layers.count) layers "
                        + "in manifest \(descriptor.digest)"
                )
            }
            let platform = descriptor.platform ?? config.platform
            if !selection.includes(platform) {
                return (.opaque(descriptor, blobs: blobs.filter { source.hasBlob($0.digest) }), platform)
            }
            if let reason = unrewritableReason(manifest) {
                warn("image \(label) (\(descriptor.digest)) is copied unchanged: \(reason)")
                blobs = blobs.filter { source.hasBlob($0.digest) }
                return (.opaque(descriptor, blobs: blobs), platform)
            }
            let image = ImageNode(
                descriptor: descriptor, manifestBytes: bytes, manifest: manifest, configBytes: configBytes,
                config: config, label: label
            )
            return (.image(image), platform)
        }
        // Unknown media type: its blob is copied as it is, so it must be there; refused now, before any layer is read,
        // rather than when the documents are written.
        guard source.hasBlob(descriptor.digest) else {
            throw OCIError.missingBlob(descriptor.digest, path: source.blobLocation(descriptor.digest))
        }
        return (.opaque(descriptor, blobs: []), nil)
    }

    /// Whether a manifest is a filesystem image: an image config and tar layers. Such a manifest stays an image
    /// even if it names a subject (an image built with a reference to its base); referrers are everything else.
    private func isFilesystemImage(_ manifest: ImageManifest) -> Bool {
        MediaType.isImageConfig(manifest.config.mediaType)
            && manifest.layers.allSatisfy { MediaType.layerCompression($0.mediaType) != nil }
    }

    /// A referrer as read, classified, with the blobs the source holds.
    private func referrerNode(
        _ descriptor: Descriptor, bytes: [UInt8], manifest: ImageManifest, kind: ReferrerKind, subject: Digest
    ) -> ReferrerNode {
        ReferrerNode(
            descriptor: descriptor, manifestBytes: bytes, manifest: manifest, kind: kind,
            referrerClass: ReferrerDetector.classify(manifest), subject: subject,
            blobs: ([manifest.config] + manifest.layers).filter { source.hasBlob($0.digest) })
    }

    private func unrewritableReason(_ manifest: ImageManifest) -> String? {
        for layer in manifest.layers {
            guard MediaType.layerCompression(layer.mediaType) != nil else {
                return "layer \(layer.digest) has media type \(layer.mediaType), which is not a filesystem layer"
            }
            guard source.hasBlob(layer.digest) || !MediaType.isNondistributable(layer.mediaType) else {
                return "non-distributable layer \(layer.digest) is not in the layout"
            }
        }
        return nil
    }

    /// How messages and reports name an image: its name in the source (a layout's ref name, a `docker save`
    /// archive's RepoTag) and platform, below its parent's label.
    func label(_ descriptor: Descriptor, parent: String?) -> String {
        let parts = [source.names(of: descriptor).first, descriptor.platform?.name].compactMap { $0 }
        let own = parts.isEmpty ? descriptor.digest.short : parts.joined(separator: " ")
        return parent.map { "\($0) \(own)" } ?? own
    }
}
