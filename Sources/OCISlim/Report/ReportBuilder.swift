import OCIImage
import PythonMinimizer

/// Builds every row of the report, and its totals (distinct layers counted once), from what the stages returned.
struct ReportBuilder {
    let variant: StrategyVariant
    let settings: RunSettings
    let input: String
    let output: String
    let scans: [Digest: ScannedLayer]
    let plans: [Digest: ImagePlan]
    let layers: [LayerJob: RewrittenLayer]
    let documents: WrittenDocuments
    let warnings: [String]
    /// Names of the documents `index.json` lists, by their old digest.
    var listedNames: [Digest: String] = [:]
    /// With `--cache`: its hits and misses.
    var cache: CacheReport?

    func build() -> RewriteReport {
        let images = documents.images.map(imageRow)
        var totals = Totals()
        var counted: Set<BlobRewrite> = []
        for layer in images.flatMap(\.layers) where counted.insert(layer.blob).inserted {
            totals.layers += 1
            if !layer.unchanged { totals.layersRewritten += 1 }
            if layer.compression.old != layer.compression.new { totals.layersRecompressed += 1 }
            totals.compressedSize.old += layer.compressedSize.old
            totals.compressedSize.new += layer.compressedSize.new
            totals.uncompressedSize.old += layer.uncompressedSize.old
            totals.uncompressedSize.new += layer.uncompressedSize.new
            totals.filesRemoved += layer.filesRemoved
            totals.filesAdded += layer.filesAdded
            totals.filesHardlinked += layer.filesHardlinked
            totals.bytesSaved.merge(layer.bytesSaved, uniquingKeysWith: +)
        }
        var report = RewriteReport(
            strategy: variant.strategy?.rawValue ?? "none", compression: settings.compression.description,
            compressionLevel: settings.compressionLevel, input: input, output: output, images: images,
            rewrittenBlobs: documents.blobRewrites.sorted { $0.old < $1.old }, totals: totals, warnings: warnings
        )
        report.reclaimHidden = variant.reclaimHidden
        report.digestMap = digestMap(images)
        report.cache = cache
        report.referrers = documents.referrers.map(referrerRow)
        report.warnings += report.referrers.filter { $0.action == .kept }.map {
            "\($0.class.rawValue) \($0.digest) (\($0.kind.rawValue)) was kept as asked: it still names "
                + "\($0.subject.old), which the output replaces with \($0.subject.new?.description ?? "nothing")"
        }
        let lost = documents.referrers.compactMap(\.loss)
        if let loss = lost.first { report.warnings.append("\(loss): \(lost.count) dropped") }
        if variant.reclaimHidden { report.unsharedByReclaim = unsharedByReclaim(images) }
        return report
    }

    /// One image's row: its manifest and config, and a row per layer.
    private func imageRow(_ written: WrittenImage) -> ImageReport {
        let image = written.image
        guard let plan = plans[image.descriptor.digest] else { preconditionFailure("every image is planned") }
        let layerRows = image.manifest.layers.enumerated().map { index, layer in
            layerRow(index: index, layer: layer, plan: plan.layers[index])
        }
        return ImageReport(
            name: image.label,
            manifest: BlobRewrite(
                old: image.descriptor.digest, new: written.manifest.digest, mediaType: image.descriptor.mediaType
            ),
            config: BlobRewrite(
                old: image.manifest.config.digest, new: written.config.digest,
                mediaType: image.manifest.config.mediaType
            ),
            environmentAdded: written.environmentAdded, pythonInterpreter: plan.hasInterpreter, modules: plan.modules,
            layers: layerRows
        )
    }

    /// One referrer's row.
    private func referrerRow(_ written: WrittenReferrer) -> ReferrerReport {
        let referrer = written.referrer
        let newDigest = written.written?.digest
        return ReferrerReport(
            digest: referrer.descriptor.digest, class: referrer.referrerClass, kind: referrer.kind,
            artifactType: referrer.artifactType,
            name: (written.written ?? referrer.descriptor).referenceName, loose: referrer.loose,
            subject: SubjectChange(old: referrer.subject, new: written.subject), action: written.action,
            newDigest: newDigest == referrer.descriptor.digest ? nil : newDigest, reason: written.loss?.description)
    }

    /// The image manifests and indexes that got a new digest, named by their `index.json` entry or image label;
    /// relinked referrers are left to `referrers`.
    private func digestMap(_ images: [ImageReport]) -> [DigestMapping] {
        let labels = Dictionary(images.map { ($0.manifest.old, $0.name) }, uniquingKeysWith: { first, _ in first })
        let referrers = Set(documents.referrers.map(\.referrer.descriptor.digest))
        return documents.blobRewrites.compactMap { rewrite in
            guard let mediaType = rewrite.mediaType, MediaType.isManifest(mediaType) || MediaType.isIndex(mediaType),
                !referrers.contains(rewrite.old)
            else { return nil }
            return DigestMapping(
                old: rewrite.old, new: rewrite.new, mediaType: mediaType,
                name: listedNames[rewrite.old] ?? labels[rewrite.old])
        }
    }

    /// The changed layers in which only hidden files went: without `--reclaim-hidden` they would keep their digest.
    private func unsharedByReclaim(_ images: [ImageReport]) -> UnsharedLayers? {
        var seen: Set<Digest> = []
        var unshared = UnsharedLayers(layers: 0, compressedBytes: 0)
        for layer in images.flatMap(\.layers) where !layer.unchanged && seen.insert(layer.blob.old).inserted {
            guard Set(layer.bytesSaved.keys) == [SavingCategory.hidden.rawValue] else { continue }
            unshared.layers += 1
            unshared.compressedBytes += layer.compressedSize.new
        }
        return unshared.layers > 0 ? unshared : nil
    }

    /// One layer's row: old → new blob, codec, sizes, and what its plan did.
    private func layerRow(index: Int, layer: Descriptor, plan: LayerPlan) -> LayerReport {
        guard let result = layers[LayerJob(descriptor: layer, plan: plan)], let scanned = scans[layer.digest] else {
            preconditionFailure("every layer job ran")
        }
        let summary = PlanSummary(plan: plan, scan: scanned.scan)
        return LayerReport(
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
    }
}
