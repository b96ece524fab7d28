import OCIImage
import PythonMinimizer

/// Writes the documents of the output bottom-up: configs, then manifests, then indexes. A document whose children
/// did not change is copied byte for byte, so its digest stays.
struct DocumentWriter {
    let layout: ImageLayout
    let graph: ImageGraph
    let store: BlobStore
    let plans: [Digest: ImagePlan]
    let scans: [Digest: ScannedLayer]
    let rewritten: [LayerJob: RewrittenLayer]

    /// Per image, what happened, for the report.
    private(set) var imageReports: [ImageReport] = []
    /// Every blob whose digest changed.
    private(set) var blobRewrites: [BlobRewrite] = []
    /// Each document written so far, by how it was listed: its new digest and size. Indexes may share children;
    /// each is written once.
    private var written: [DocumentKey: (digest: Digest, size: Int64)] = [:]

    init(
        layout: ImageLayout, graph: ImageGraph, store: BlobStore, plans: [Digest: ImagePlan],
        scans: [Digest: ScannedLayer],
        rewritten: [LayerJob: RewrittenLayer]
    ) {
        self.layout = layout
        self.graph = graph
        self.store = store
        self.plans = plans
        self.scans = scans
        self.rewritten = rewritten
    }

    /// Writes a listed document and everything below it, once; returns `listed` pointing at the (possibly new) blob.
    ///
    /// The recursion follows nested indexes, which `GraphReader` bounds.
    mutating func write(_ listed: Descriptor) throws -> Descriptor {
        let key = DocumentKey(listed)
        let target: (digest: Digest, size: Int64)
        if let done = written[key] {
            target = done
        } else {
            guard let node = graph.nodes[key] else { preconditionFailure("every listed document was read") }
            let stored = try write(node)
            target = (stored.digest, stored.size)
            written[key] = target
        }
        var descriptor = listed
        descriptor.digest = target.digest
        descriptor.size = target.size
        return descriptor
    }

    private mutating func write(_ node: GraphNode) throws -> Descriptor {
        switch node {
        case .index(let descriptor, let bytes, let children):
            let newChildren = try children.map { try write($0) }
            guard newChildren.map(\.digest) != children.map(\.digest) else {
                return try store(bytes, as: descriptor)
            }
            let patched = try DocumentPatcher.index(bytes, manifests: newChildren, what: "index \(descriptor.digest)")
            return try store(patched, as: descriptor)
        case .image(let image):
            return try write(image)
        case .opaque(let descriptor, let blobs):
            for blob in blobs { try store.copy(blob, from: layout) }
            guard layout.hasBlob(descriptor.digest) else {
                throw OCIError.missingBlob(descriptor.digest, path: layout.blobPath(descriptor.digest))
            }
            try store.copy(descriptor, from: layout)
            return descriptor
        }
    }

    private mutating func write(_ image: ImageNode) throws -> Descriptor {
        guard let plan = plans[image.descriptor.digest] else { preconditionFailure("every image is planned") }
        var layers: [Descriptor] = []
        var diffIDs: [Digest] = []
        var layerReports: [LayerReport] = []
        for (index, layer) in image.manifest.layers.enumerated() {
            let layerPlan = plan.layers[index]
            guard let result = rewritten[LayerJob(descriptor: layer, plan: layerPlan)],
                let scanned = scans[layer.digest]
            else { preconditionFailure("every layer job ran") }
            layers.append(result.descriptor)
            diffIDs.append(result.diffID)
            let summary = PlanSummary(plan: layerPlan, scan: scanned.scan)
            layerReports.append(
                LayerReport(
                    index: index, mediaType: layer.mediaType, unchanged: result.descriptor.digest == layer.digest,
                    blob: BlobRewrite(old: layer, new: result.descriptor),
                    compression: CompressionChange(old: scanned.codec, new: result.compression),
                    diffID: BlobRewrite(old: scanned.diffID, new: result.diffID, mediaType: nil),
                    compressedSize: SizeChange(old: layer.size, new: result.descriptor.size),
                    uncompressedSize: SizeChange(old: scanned.uncompressedSize, new: result.uncompressedSize),
                    filesRemoved: summary.filesRemoved, filesAdded: summary.filesAdded,
                    filesHardlinked: summary.filesHardlinked,
                    bytesSaved: Dictionary(uniqueKeysWithValues: summary.bytesSaved.map { ($0.key.rawValue, $0.value) })
                )
            )
            if layer.digest != result.descriptor.digest { note(layer, result.descriptor) }
        }

        let existing = Set((image.config.config?.env ?? []).map { $0.prefix { $0 != "=" } })
        let environment = plan.environment.filter { !existing.contains($0.prefix { $0 != "=" }) }
        let configDescriptor: Descriptor
        if diffIDs == image.config.rootfs.diffIDs && environment.isEmpty {
            configDescriptor = try store(image.configBytes, as: image.manifest.config)
        } else {
            let patched = try DocumentPatcher.config(
                image.configBytes, diffIDs: diffIDs, environment: environment,
                what: "config \(image.manifest.config.digest)"
            )
            configDescriptor = try store(patched, as: image.manifest.config)
        }

        let manifestDescriptor: Descriptor
        if configDescriptor.digest == image.manifest.config.digest
            && layers.map(\.digest) == image.manifest.layers.map(\.digest)
        {
            manifestDescriptor = try store(image.manifestBytes, as: image.descriptor)
        } else {
            let patched = try DocumentPatcher.manifest(
                image.manifestBytes, config: configDescriptor, layers: layers,
                what: "manifest \(image.descriptor.digest)"
            )
            manifestDescriptor = try store(patched, as: image.descriptor)
        }

        imageReports.append(
            ImageReport(
                name: image.label,
                manifest: BlobRewrite(
                    old: image.descriptor.digest, new: manifestDescriptor.digest, mediaType: image.descriptor.mediaType
                ),
                config: BlobRewrite(
                    old: image.manifest.config.digest, new: configDescriptor.digest,
                    mediaType: image.manifest.config.mediaType
                ),
                environmentAdded: environment, modules: plan.modules, layers: layerReports
            )
        )
        return manifestDescriptor
    }

    /// Stores a document and returns `original` pointing at it; records the rename when the digest changed.
    private mutating func store(_ bytes: [UInt8], as original: Descriptor) throws -> Descriptor {
        let stored = try store.store(bytes, mediaType: original.mediaType)
        var descriptor = original
        descriptor.digest = stored.digest
        descriptor.size = stored.size
        if stored.digest != original.digest { note(original, descriptor) }
        return descriptor
    }

    private mutating func note(_ old: Descriptor, _ new: Descriptor) {
        let rewrite = BlobRewrite(old: old, new: new)
        if !blobRewrites.contains(rewrite) { blobRewrites.append(rewrite) }
    }
}

extension BlobRewrite {
    /// The change from one blob to another, with the new media type when it differs.
    init(old: Descriptor, new: Descriptor) {
        self.init(
            old: old.digest, new: new.digest, mediaType: old.mediaType,
            newMediaType: new.mediaType == old.mediaType ? nil : new.mediaType
        )
    }
}
