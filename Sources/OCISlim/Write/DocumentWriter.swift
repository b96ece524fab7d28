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
    /// Every referrer found, and what was done with it.
    let referrers: [WrittenReferrer]
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

/// A referrer as written: what the policy did with it, and what its subject became.
struct WrittenReferrer: Sendable {
    /// The referrer as read.
    let referrer: ReferrerNode
    let action: ReferrerAction
    /// The subject's digest in the output; nil when the subject is not in the image (or was itself left out).
    let subject: Digest?
    /// The referrer's own descriptor in the output (its digest changes when relinked); nil when dropped.
    let written: Descriptor?
    /// Why it was dropped whatever the policy: the output cannot hold referrers.
    let loss: ReferrerLoss?
}

/// Writes the documents of the output bottom-up: configs, then manifests, then indexes. A document whose children
/// did not change is copied byte for byte, so its digest stays. A referrer is written after its subject, whatever
/// their order in the indexes, and `policy` decides what becomes of it when its subject got a new digest.
struct DocumentWriter<Store: BlobStore> {
    let source: any ImageSource
    let graph: ImageGraph
    let store: Store
    let plans: [Digest: ImagePlan]
    let layers: [LayerJob: RewrittenLayer]
    let policy: ReferrerPolicy

    /// Each image written, in order.
    private(set) var images: [WrittenImage] = []
    /// Each referrer written or left out, in order.
    private(set) var referrers: [WrittenReferrer] = []
    /// Every blob whose digest changed.
    private(set) var blobRewrites: [BlobRewrite] = []
    /// Each document written so far, by how it was listed. Indexes may share children; each is written once.
    private var written: [DocumentKey: Outcome] = [:]
    /// The documents being written (those above the current one, and referrers waiting for their subject).
    private var inProgress: Set<DocumentKey> = []

    /// What became of a document.
    private enum Outcome {
        /// Stored with this digest and size; `relinked` when it now refers to a subject's new digest (the
        /// annotations of its listings that name the old one are updated).
        case stored(digest: Digest, size: Int64, relinked: (old: Digest, new: Digest)?)
        /// Left out of the output.
        case dropped
    }

    init(
        source: any ImageSource, graph: ImageGraph, store: Store, plans: [Digest: ImagePlan],
        layers: [LayerJob: RewrittenLayer], policy: ReferrerPolicy = ReferrerPolicy()
    ) {
        self.source = source
        self.graph = graph
        self.store = store
        self.plans = plans
        self.layers = layers
        self.policy = policy
    }

    /// Writes a listed document and everything below it, once; returns `listed` pointing at the (possibly new) blob,
    /// or nil when the document is left out (a dropped referrer).
    ///
    /// The recursion follows nested indexes, which `GraphReader` bounds, and referrers' subjects.
    mutating func write(_ listed: Descriptor) throws -> Descriptor? {
        try descriptor(listed, after: outcome(DocumentKey(listed)))
    }

    /// Writes a loose referrer (`--scan-blobs`); returns the descriptor `index.json` lists it with, or nil when it
    /// is left out.
    mutating func write(loose referrer: ReferrerNode) throws -> Descriptor? {
        let key = DocumentKey(referrer.descriptor)
        if written[key] == nil { written[key] = try write(referrer) }
        return descriptor(referrer.descriptor, after: written[key] ?? .dropped)
    }

    /// `listed` pointing at what `outcome` stored, its annotations relinked; nil when left out.
    private func descriptor(_ listed: Descriptor, after outcome: Outcome) -> Descriptor? {
        guard case .stored(let digest, let size, let relinked) = outcome else { return nil }
        var descriptor = listed
        descriptor.digest = digest
        descriptor.size = size
        if let relinked {
            descriptor.annotations = ReferrerRelink.annotations(
                listed.annotations, from: relinked.old, to: relinked.new)
        }
        return descriptor
    }

    private mutating func outcome(_ key: DocumentKey) throws -> Outcome {
        if let done = written[key] { return done }
        guard let node = graph.nodes[key] else { preconditionFailure("every listed document was read") }
        inProgress.insert(key)
        defer { inProgress.remove(key) }
        let outcome = try write(node)
        written[key] = outcome
        return outcome
    }

    private mutating func write(_ node: GraphNode) throws -> Outcome {
        switch node {
        case .index(let descriptor, let bytes, let children):
            let newChildren = try children.map { try write($0) }
            guard newChildren != children.map(Optional.some) else { return try stored(bytes, as: descriptor) }
            let patched = try DocumentPatcher.index(bytes, manifests: newChildren, what: "index \(descriptor.digest)")
            return try stored(patched, as: descriptor)
        case .image(let image):
            let descriptor = try write(image)
            return .stored(digest: descriptor.digest, size: descriptor.size, relinked: nil)
        case .referrer(let referrer):
            return try write(referrer)
        case .opaque(let descriptor, let blobs):
            return try copy(descriptor, with: blobs)
        case .absent(let descriptor):
            return .stored(digest: descriptor.digest, size: descriptor.size, relinked: nil)
        }
    }

    /// Copies a document and the blobs it references as they are.
    private func copy(_ descriptor: Descriptor, with blobs: [Descriptor]) throws -> Outcome {
        for blob in blobs { try store.copy(blob, from: source) }
        guard source.hasBlob(descriptor.digest) else {
            throw OCIError.missingBlob(descriptor.digest, path: source.blobLocation(descriptor.digest))
        }
        try store.copy(descriptor, from: source)
        return .stored(digest: descriptor.digest, size: descriptor.size, relinked: nil)
    }

    // MARK: Referrers

    /// Writes the referrer's subject first, then the referrer as the policy says: copied as it is when the subject
    /// kept its digest (or is not in the image), else relinked, dropped or kept; dropped whatever it is when the
    /// output cannot hold referrers.
    private mutating func write(_ referrer: ReferrerNode) throws -> Outcome {
        // The subject as written; nil when it is not in the image.
        var subject: Descriptor?
        if let (subjectKey, _) = graph.node(referrer.subject) {
            // `GraphReader` refused such a graph before any work (`ReferrerAncestry`); kept so that a graph made
            // otherwise cannot recurse forever.
            guard !inProgress.contains(subjectKey) else {
                throw ReferrerError.subjectIsAncestor(referrer: referrer.descriptor.digest, subject: referrer.subject)
            }
            guard case .stored(let digest, let size, _) = try outcome(subjectKey) else {
                // Its subject was left out (a signature of a dropped attestation): it would name nothing.
                return record(referrer, .dropped, subject: nil, .dropped)
            }
            subject = Descriptor(mediaType: subjectKey.mediaType, digest: digest, size: size)
        }
        let changed = subject.map { $0.digest != referrer.subject } ?? false
        let action = policy.action(for: referrer, subjectChanged: changed)
        switch action {
        case .dropped:
            return record(referrer, action, subject: subject?.digest, .dropped)
        case .kept, .unchanged:
            return try record(
                referrer, action, subject: subject?.digest, copy(referrer.descriptor, with: referrer.blobs))
        case .relinked:
            guard let subject else { preconditionFailure("the policy relinks only a referrer whose subject changed") }
            let relinked = try relink(referrer, to: subject)
            return record(
                referrer, action, subject: subject.digest,
                .stored(digest: relinked.digest, size: relinked.size, relinked: (referrer.subject, subject.digest)))
        }
    }

    private mutating func record(
        _ referrer: ReferrerNode, _ action: ReferrerAction, subject: Digest?, _ outcome: Outcome
    ) -> Outcome {
        let descriptor = self.descriptor(referrer.descriptor, after: outcome)
        referrers.append(
            WrittenReferrer(
                referrer: referrer, action: action, subject: subject, written: descriptor,
                loss: action == .dropped ? policy.outputLoss : nil))
        return outcome
    }

    /// Points a referrer at `subject`: each in-toto statement's subject digests (patched in place, the predicate
    /// untouched), the config's diff_ids that name those statements (BuildKit lists them), and the manifest's
    /// `subject` descriptor. A cosign `.sbom` tag names no digest inside: its manifest stays, its tag is renamed.
    private mutating func relink(_ referrer: ReferrerNode, to subject: Descriptor) throws -> Descriptor {
        let manifest = referrer.manifest
        var layers: [Descriptor] = []
        for layer in manifest.layers {
            guard source.hasBlob(layer.digest) else {
                layers.append(layer)
                continue
            }
            if layer.mediaType == ReferrerDetector.inToto,
                let patched = try DocumentPatcher.statement(
                    source.readDocument(layer), from: referrer.subject, to: subject.digest,
                    what: "in-toto statement \(layer.digest)")
            {
                layers.append(try store(patched, as: layer))
            } else {
                try store.copy(layer, from: source)
                layers.append(layer)
            }
        }
        let renamed = Dictionary(
            zip(manifest.layers, layers).map { ($0.digest, $1.digest) }, uniquingKeysWith: { first, _ in first })
        let config = try relinkConfig(manifest.config, renamed: renamed)
        guard config != manifest.config || layers != manifest.layers || manifest.subject != nil else {
            return try store(referrer.manifestBytes, as: referrer.descriptor)
        }
        let what = "manifest \(referrer.descriptor.digest)"
        let patched =
            manifest.subject == nil
            ? try DocumentPatcher.manifest(referrer.manifestBytes, config: config, layers: layers, what: what)
            : try DocumentPatcher.referrer(
                referrer.manifestBytes, config: config, layers: layers, subject: subject, what: what)
        return try store(patched, as: referrer.descriptor)
    }

    /// The config of a relinked referrer: an image config whose diff_ids name relinked layers (old → new digest in
    /// `renamed`) gets the new digests; any other config is copied.
    private mutating func relinkConfig(_ config: Descriptor, renamed: [Digest: Digest]) throws -> Descriptor {
        guard source.hasBlob(config.digest) else { return config }
        guard MediaType.isImageConfig(config.mediaType), renamed.contains(where: { $0.key != $0.value }) else {
            try store.copy(config, from: source)
            return config
        }
        let bytes = try source.readDocument(config)
        let parsed = try ImageConfig.read(bytes, what: "config \(config.digest)")
        let diffIDs = parsed.rootfs.diffIDs.map { renamed[$0] ?? $0 }
        guard diffIDs != parsed.rootfs.diffIDs else {
            try store.copy(config, from: source)
            return config
        }
        let patched = try DocumentPatcher.config(
            bytes, diffIDs: diffIDs, environment: [], what: "config \(config.digest)")
        return try store(patched, as: config)
    }

    // MARK: Images

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

    /// Stores a document; its outcome.
    private mutating func stored(_ bytes: [UInt8], as original: Descriptor) throws -> Outcome {
        let descriptor = try store(bytes, as: original)
        return .stored(digest: descriptor.digest, size: descriptor.size, relinked: nil)
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
