import Foundation
import OCIImage
import PythonMinimizer
import TarStream

/// `ocislim rewrite`: open the source → scan layers → plan each image → rewrite layers → write documents → build the
/// report → publish to the destination. Each stage is a `RewritePipeline` method that returns a value the next one
/// takes; the source and the destination are protocols (`ImageSource`, `ImageDestination`), so the stages never ask
/// which shape the image has.
public struct ImageRewriter: Sendable {
    /// What to do.
    public let options: RewriteOptions

    /// Makes a rewriter.
    public init(options: RewriteOptions) { self.options = options }

    /// Runs the rewrite. Everything that can be checked without reading a layer is checked first: the documents
    /// (and referrers naming documents above them), the output compression, an output name, the destination, and
    /// `--signatures refuse` against what the destination can hold. The output appears complete, or not at all; the
    /// input is only read. `beforePublishing`
    /// gets the finished report before the output is published: whatever it must not fail after the output exists
    /// (writing the report file) happens there, and a failure leaves no output.
    public func run(beforePublishing: (RewriteReport) throws -> Void = { _ in }) async throws -> RewriteReport {
        let inputReference = try ImageReference(parsing: options.input)
        let outputReference = try ImageReference(parsing: options.output)
        let source = try ImageEndpoints.source(inputReference)
        let selection = ImageSelection(selector: inputReference.selector, platforms: options.platforms)
        let compiler = try options.compileWith.map { try BytecodeCompiler(executable: $0) }
        let pipeline = try RewritePipeline(
            source: ObservedImageSource(inner: source, progress: options.settings.progress), selection: selection,
            settings: options.settings, compiler: compiler, scanBlobs: options.referrers.scanBlobs)
        try OutputNaming(outputReference).check(
            imageCount: pipeline.graph.listedImages.count, output: outputReference)
        let output = try ImageEndpoints.destination(
            outputReference, input: inputReference, source: source, replace: options.replaceExistingName)
        do {
            var referrers = options.referrers
            referrers.outputLoss = output.referrerLoss
            try referrers.checkRefusals(in: pipeline.graph)
            let layersKept = LayersKept(
                count: options.keepLayers, base: try options.keepLayersOf.map(Self.baseLayers) ?? [])
            let variant = StrategyVariant(
                strategy: options.strategy, sourceless: options.sourceless, reclaimHidden: options.reclaimHidden)
            let scans = try await pipeline.scanLayers(
                hashContents: variant.needsContentDigests, hashSources: variant.needsSourceHashes
            )
            let compileVersion = try compiler.map { try pipeline.checkVersion(of: $0, against: scans) }
            let plans = try pipeline.plan(
                scans: scans, variant: variant, compileVersion: compileVersion, layersKept: layersKept)
            let layers = try await pipeline.rewriteLayers(scans: scans, plans: plans, store: output.blobs)
            let documents = try pipeline.writeDocuments(
                scans: scans, plans: plans, layers: layers, store: output.blobs, referrers: referrers
            )
            let report = pipeline.report(
                variant: variant, input: options.input, output: options.output, scans: scans, plans: plans,
                layers: layers, documents: documents
            )
            try beforePublishing(report)
            try output.publish(
                FinishedOutput(
                    indexBytes: documents.indexBytes, layoutMarker: try source.layoutMarkerBytes(),
                    documents: documents, source: source))
            pipeline.cache.finish()
            return report
        } catch {
            output.discard()
            if let code = RewriteError.rootErrno(error), code == ENOSPC || code == EDQUOT {
                throw RewriteError.outputFull(output: options.output, underlying: error)
            }
            throw error
        }
    }
}

extension ImageRewriter {
    /// The layer chain (diff IDs) of the one image `reference` names, for `--keep-layers-of`.
    static func baseLayers(_ reference: String) throws -> [Digest] {
        let parsed = try ImageReference(parsing: reference)
        let source = try ImageEndpoints.source(parsed)
        let graph = try GraphReader(
            source: source, selection: ImageSelection(selector: parsed.selector), warn: { _ in }
        ).read()
        guard graph.images.count == 1, let image = graph.images.first else {
            throw ReferenceError.baseNeedsOneImage(reference: reference, count: graph.images.count)
        }
        return image.config.rootfs.diffIDs
    }
}

/// The stages of a rewrite, each usable alone: `audit` scans once and rewrites into a counting store per strategy.
struct RewritePipeline: Sendable {
    let source: any ImageSource
    let settings: RunSettings
    let graph: ImageGraph
    let warnings = WarningLog()
    let compiler: BytecodeCompiler?
    /// `--cache`: scans and rewritten layers kept between runs (`NoLayerCache` without it).
    let cache: any LayerCache

    /// Reads the source's documents (verified), keeping the images `selection` picks, and checks the output
    /// compression suits them.
    init(
        source: any ImageSource, selection: ImageSelection = ImageSelection(), settings: RunSettings,
        compiler: BytecodeCompiler? = nil, scanBlobs: Bool = false
    ) throws {
        self.source = source
        self.settings = settings
        self.compiler = compiler
        let warnings = warnings
        cache =
            settings.cache.map { DirectoryLayerCache(settings: $0, warn: { warnings.add($0) }) } ?? NoLayerCache()
        graph = try GraphReader(
            source: source, selection: selection, scanBlobs: scanBlobs, warn: { warnings.add($0) }
        ).read()
        try checkCompression()
    }

    // MARK: Scan every distinct layer once

    func scanLayers(hashContents: Bool, hashSources: Bool) async throws -> [Digest: ScannedLayer] {
        var descriptors: [Digest: Descriptor] = [:]
        for image in graph.images { for layer in image.manifest.layers { descriptors[layer.digest] = layer } }
        let toScan = descriptors.values.sorted { $0.digest < $1.digest }
        let scanner = LayerScanner(
            source: source, hashContents: hashContents, hashSources: hashSources, compiler: compiler,
            threads: settings.jobs
        )
        let progress = settings.progress
        let cache = cache
        let compilerVersion = compiler?.version
        let scanned = try await concurrentMap(toScan, jobs: settings.jobs) { descriptor in
            let key = ScanKey(
                blob: descriptor.digest, hashContents: hashContents, hashSources: hashSources,
                compiler: hashSources ? compilerVersion : nil)
            if let cached = cache.scan(for: key) { return cached }
            do {
                let layer = try progress.run(ProgressStep("scan", descriptor)) { try scanner.scan(descriptor) }
                cache.store(layer, for: key)
                return layer
            } catch {
                throw RewriteError.layer(descriptor.digest, underlying: error)
            }
        }
        for (descriptor, layer) in zip(toScan, scanned) {
            for warning in layer.warnings { warnings.add("layer \(descriptor.digest.short): \(warning)") }
        }
        return Dictionary(uniqueKeysWithValues: zip(toScan.map(\.digest), scanned))
    }

    /// The `--compile-with` interpreter's minor version, once some `lib/pythonX.Y` of the image has it; refuses it
    /// otherwise.
    func checkVersion(of compiler: BytecodeCompiler, against scans: [Digest: ScannedLayer]) throws -> String {
        let versions = Set(
            scans.values.flatMap { $0.scan.entries.compactMap { PythonFile.interpreterVersion($0.path) } })
        guard versions.contains(compiler.version) else {
            throw CompileError.versionMismatch(
                compiler: compiler.executable, version: compiler.version, image: versions.sorted()
            )
        }
        return compiler.version
    }

    // MARK: Plan each image over the merged view of its layers

    /// One plan per image; `compileVersion` is the `--compile-with` interpreter's, when there is one.
    func plan(
        scans: [Digest: ScannedLayer], variant: StrategyVariant, compileVersion: String? = nil,
        layersKept: LayersKept = LayersKept()
    ) throws -> [Digest: ImagePlan] {
        let planner = Planner(
            strategy: variant.strategy, minimumLayerSaving: settings.minimumLayerSaving,
            sourceless: variant.sourceless, compileVersion: compileVersion, requiresInterpreter: true,
            reclaimHidden: variant.reclaimHidden
        )
        var plans: [Digest: ImagePlan] = [:]
        for image in graph.images {
            let layerScans = try image.manifest.layers.enumerated().map { index, layer in
                guard let scan = scans[layer.digest] else { preconditionFailure("every layer is scanned") }
                let listed = image.config.rootfs.diffIDs[index]
                guard scan.diffID == listed else {
                    throw RewriteError.diffIDMismatch(
                        layer: layer.digest, config: image.manifest.config.digest, expected: listed, actual: scan.diffID
                    )
                }
                return scan.scan
            }
            if let (layer, index) = HardlinkTargets.firstDangling(layerScans) {
                let link = layerScans[layer].entries[index]
                throw RewriteError.layer(
                    image.manifest.layers[layer].digest,
                    underlying: UnsafeEntry.danglingHardlink(
                        TarPath(bytes: link.path.bytes), target: TarPath(bytes: link.hardlinkTarget?.bytes ?? [])
                    )
                )
            }
            let execution = image.config.config
            var context = ImageContext(entrypoint: execution?.entrypoint, cmd: execution?.cmd)
            context.keepLayers = layersKept.count(for: image.config.rootfs.diffIDs)
            plans[image.descriptor.digest] = planner.plan(layerScans, context: context)
        }
        return plans
    }

    // MARK: Rewrite each distinct (layer, plan) once

    /// Rewrites, recompresses or copies each distinct (layer, plan) once into `store`, whichever images share it.
    func rewriteLayers(
        scans: [Digest: ScannedLayer], plans: [Digest: ImagePlan], store: some BlobStore
    ) async throws -> [LayerJob: RewrittenLayer] {
        var jobs: [LayerJob] = []
        var seen: Set<LayerJob> = []
        for image in graph.images {
            guard let plan = plans[image.descriptor.digest] else { continue }
            for (index, layer) in image.manifest.layers.enumerated() {
                let job = LayerJob(descriptor: layer, plan: plan.layers[index])
                if seen.insert(job).inserted { jobs.append(job) }
            }
        }
        let rewriter = LayerRewriter(
            source: source, store: store, compiler: compiler, level: settings.compressionLevel, threads: settings.jobs
        )
        let progress = settings.progress
        let source = source
        let compression = settings.compression
        let level = settings.compressionLevel
        let threads = settings.jobs
        let cache = cache
        let compiler = compiler
        let results = try await concurrentMap(jobs, jobs: settings.jobs) { job -> RewrittenLayer in
            guard let scan = scans[job.descriptor.digest] else { preconditionFailure("every layer is scanned") }
            let target = compression.target(for: job.descriptor, current: scan.codec)
            do {
                if job.plan.isUnchanged && target == scan.codec {
                    // Verified again unless the scan read it this run (a scan from the cache did not).
                    try progress.run(ProgressStep("copy", job.descriptor)) {
                        try store.copy(job.descriptor, from: source, threads: threads, verifiedBefore: scan.readThisRun)
                    }
                    return RewrittenLayer(
                        descriptor: job.descriptor, compression: scan.codec, diffID: scan.diffID,
                        uncompressedSize: scan.uncompressedSize
                    )
                }
                let key = LayerKey(
                    input: job.descriptor.digest, plan: job.plan, compression: target, level: level,
                    compiler: compiler.map { "\($0.executable) \($0.version)" })
                if let cached = try cache.rewrittenLayer(
                    for: key, input: job.descriptor, inputTarSize: scan.uncompressedSize, into: store)
                {
                    return cached
                }
                let layer =
                    try job.plan.isUnchanged
                    ? progress.run(ProgressStep("recompress", job.descriptor)) {
                        try rewriter.recompress(job.descriptor, scanned: scan, to: target)
                    }
                    : progress.run(ProgressStep("rewrite", job.descriptor)) {
                        try rewriter.rewrite(job.descriptor, scanned: scan, plan: job.plan, to: target)
                    }
                cache.store(layer, for: key, from: store)
                return layer
            } catch {
                throw RewriteError.layer(job.descriptor.digest, underlying: error)
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(jobs, results))
    }

    // MARK: Write documents

    /// Writes configs, manifests and indexes into `store`, and the referrers as `referrers` says; returns the new
    /// `index.json` and what each image and referrer became. Loose referrers carried over are listed at its end.
    func writeDocuments(
        scans: [Digest: ScannedLayer], plans: [Digest: ImagePlan], layers: [LayerJob: RewrittenLayer],
        store: some BlobStore, referrers: ReferrerPolicy = ReferrerPolicy()
    ) throws -> WrittenDocuments {
        var writer = DocumentWriter(
            source: source, graph: graph, store: store, plans: plans, layers: layers, policy: referrers)
        let children = try graph.index.manifests.map { try writer.write($0) }
        let loose = try graph.looseReferrers.compactMap { try writer.write(loose: $0) }
        let indexBytes =
            children == graph.index.manifests.map(Optional.some) && loose.isEmpty
            ? graph.bytes
            : try DocumentPatcher.index(graph.bytes, manifests: children, appending: loose, what: "index.json")
        return WrittenDocuments(
            indexBytes: indexBytes, images: writer.images, blobRewrites: writer.blobRewrites,
            referrers: writer.referrers)
    }

    // MARK: Report

    /// The report of one variant's run: every row built here, from what each stage returned.
    func report(
        variant: StrategyVariant, input: String, output: String, scans: [Digest: ScannedLayer],
        plans: [Digest: ImagePlan], layers: [LayerJob: RewrittenLayer], documents: WrittenDocuments
    ) -> RewriteReport {
        var builder = ReportBuilder(
            variant: variant, settings: settings, input: input, output: output, scans: scans, plans: plans,
            layers: layers, documents: documents, warnings: warnings.all
        )
        for entry in graph.index.manifests {
            if let name = source.names(of: entry).first { builder.listedNames[entry.digest] = name }
        }
        builder.cache = cache.summary
        return builder.build()
    }
}

/// A strategy with its options, as `audit` compares them.
public struct StrategyVariant: Hashable, Sendable {
    /// The strategy; nil for none (`--reclaim-hidden` alone, as `audit` measures hidden files).
    public var strategy: Strategy?
    /// Its `sourceless` options (ignored by the other strategies).
    public var sourceless: SourcelessOptions
    /// Whether files upper layers hide are removed too (`--reclaim-hidden`).
    public var reclaimHidden: Bool

    /// Makes a variant.
    public init(strategy: Strategy?, sourceless: SourcelessOptions = SourcelessOptions(), reclaimHidden: Bool = false) {
        self.strategy = strategy
        self.sourceless = sourceless
        self.reclaimHidden = reclaimHidden
    }

    /// `audit`'s measure of hidden files: what `--reclaim-hidden` alone removes.
    public static let hiddenFiles = StrategyVariant(strategy: nil, reclaimHidden: true)

    /// The name `audit` shows: the strategy, with `--sources drop` when sources are dropped and `--reclaim-hidden`
    /// when hidden files go too.
    public var name: String {
        guard let strategy else { return reclaimHidden ? "reclaim-hidden" : "none" }
        let base = strategy == .sourceless && !sourceless.keepSources ? "sourceless --sources drop" : strategy.rawValue
        return reclaimHidden ? base + " --reclaim-hidden" : base
    }

    /// Whether the scan must hash file contents (dedup).
    var needsContentDigests: Bool { strategy?.needsContentDigests ?? false }
    /// Whether the scan must hash sources (sourceless).
    var needsSourceHashes: Bool { strategy?.needsSourceHashes ?? false }
}

/// One layer rewrite: the same blob with the same plan is done once, whichever images share it.
struct LayerJob: Hashable, Sendable {
    let descriptor: Descriptor
    let plan: LayerPlan
}

/// Warnings collected from concurrent tasks.
final class WarningLog: @unchecked Sendable {
    // Guarded by `lock`; warnings come from concurrent layer tasks.
    private let lock = NSLock()
    private var warnings: [String] = []

    func add(_ warning: String) { lock.withLock { warnings.append(warning) } }
    var all: [String] { lock.withLock { warnings } }
}

/// Runs `body` over `items` with at most `jobs` at once; results keep the items' order.
func concurrentMap<Item: Sendable, Result: Sendable>(
    _ items: [Item], jobs: Int, _ body: @escaping @Sendable (Item) throws -> Result
) async throws -> [Result] {
    try await withThrowingTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: items.count)
        var next = 0
        func startNext() {
            guard next < items.count else { return }
            let index = next
            let item = items[index]
            group.addTask { (index, try body(item)) }
            next += 1
        }
        for _ in 0..<min(jobs, items.count) { startNext() }
        while let (index, result) = try await group.next() {
            results[index] = result
            startNext()
        }
        // Every index was filled: the loop above runs until the group has no task left.
        return results.compactMap { $0 }
    }
}
