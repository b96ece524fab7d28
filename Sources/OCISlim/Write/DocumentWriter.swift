import OCIImage
import PythonMinimizer

/// What writing the documents produced: the new `index.json`, each image's new manifest and config, and every
/// blob whose digest changed. The report is built from it; the writer builds no rows.
struct WrittenDocuments: Sendable {
    /// The bytes of the new `index.json` (the input's own when nothing below it changed).
    let indexBytes: [UInt8]
    /// Each distinct image, in the order first reached.
    let images: [WrittenImage]
    /// Every blob whose digest changed, in the order written.
    let blobRewrites: [BlobRewrite]
}

/// One image as written.
struct WrittenImage: Sendable {
    /// The image as read.
    let image: ImageNode
    /// Its new manifest and config descriptors (the old ones when unchanged).
    let manifest: Descriptor
    let config: Descriptor
    /// Its layers' new descriptors, bottom first.
    let layers: [Descriptor]
    /// The environment variables added to its config.
    let environmentAdded: [String]
}

/// Writes the documents of the output bottom-up: configs, then manifests, then indexes. A document whose children
/// did not change is copied byte for byte, so its digest stays.
struct DocumentWriter<Store: BlobStore> {
    let source: any ImageSource
    let graph: ImageGraph
    let store: Store
    let plans: [Digest: ImagePlan]
    let layers: [LayerJob: RewrittenLayer]

    /// Each image written, in order.
    private(set) var images: [WrittenImage] = []
    /// Every blob whose digest changed.
    private(set) var blobRewrites: [BlobRewrite] = []
    /// Each document written so far, by how it was listed: its new digest and size. Indexes may share children;
    /// each is written once.
    private var written: [DocumentKey: (digest: Digest, size: Int64)] = [:]

    init(
        source: any ImageSource, graph: ImageGraph, store: Store, plans: [Digest: ImagePlan],
        layers: [LayerJob: RewrittenLayer]
    ) {
        self.source = source
        self.graph = graph
        self.store = store
        self.plans = plans
        self.layers = layers
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
            for blob in blobs { try store.copy(blob, from: source) }
            guard source.hasBlob(descriptor.digest) else {
                throw OCIError.missingBlob(descriptor.digest, path: source.blobLocation(descriptor.digest))
            }
            try store.copy(descriptor, from: source)
            return descriptor
        case .absent(let descriptor):
            return descriptor
        }
    }

    private mutating func write(_ image: ImageNode) throws -> Descriptor {
        guard let plan = plans[image.descriptor.digest] else { preconditionFailure("every image is planned") }
        var layers: [Descriptor] = []
        var diffIDs: [Digest] = []
        for (index, layer) in image.manifest.layers.enumerated() {
            guard let result = self.layers[LayerJob(descriptor: layer, plan: plan.layers[index])] else {
                preconditionFailure("every layer job ran")
            }
            layers.append(result.descriptor)
            diffIDs.append(result.diffID)
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

        images.append(
            WrittenImage(
                image: image, manifest: manifestDescriptor, config: configDescriptor, layers: layers,
                environmentAdded: environment
            ))
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
