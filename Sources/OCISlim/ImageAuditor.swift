import OCIImage
import PythonMinimizer

/// `ocislim audit`: what each strategy would save on an image, measured by running the rewrite for real into a store
/// that keeps nothing. The numbers are the ones `rewrite` produces, because they come from the same code.
public struct ImageAuditor: Sendable {
    /// The image to audit: a reference (`oci:DIR:NAME`, `docker-archive:FILE`, a bare path).
    public let input: String
    /// `--platform`: the platforms audited (all when empty).
    public let platforms: [Platform]
    /// The strategies compared.
    public let variants: [StrategyVariant]
    /// How the run works, as in `rewrite`: minimum layer saving, compression and level, jobs, progress.
    public let settings: RunSettings

    /// Every strategy, and sourceless with its sources dropped too.
    public static let strategyVariants: [StrategyVariant] =
        Strategy.allCases.map { StrategyVariant(strategy: $0) }
        + [StrategyVariant(strategy: .sourceless, sourceless: SourcelessOptions(keepSources: false))]

    /// Every strategy, then the files upper layers hide (`reclaim-hidden`).
    public static let allVariants: [StrategyVariant] = strategyVariants + [.hiddenFiles]

    /// Makes an auditor.
    public init(
        input: String, platforms: [Platform] = [], variants: [StrategyVariant] = ImageAuditor.allVariants,
        minimumLayerSaving: Int64 = 0,
        compression: OutputCompression = .keep, compressionLevel: Int32? = nil, jobs: Int? = nil,
        progress: any ProgressReporter = SilentProgress(), cache: CacheSettings? = nil
    ) {
        self.input = input
        self.platforms = platforms
        self.variants = variants
        var settings = RunSettings(
            minimumLayerSaving: minimumLayerSaving, compression: compression, compressionLevel: compressionLevel,
            jobs: jobs, progress: progress
        )
        settings.cache = cache
        self.settings = settings
    }

    /// Scans every layer once, then rewrites it once per strategy into a store that keeps nothing.
    public func run() async throws -> AuditReport {
        let reference = try ImageReference(parsing: input)
        let source = try ImageEndpoints.source(reference)
        let selection = ImageSelection(selector: reference.selector, platforms: platforms)
        let pipeline = try RewritePipeline(
            source: ObservedImageSource(inner: source, progress: settings.progress), selection: selection,
            settings: settings)
        let needsDigests = variants.contains { $0.needsContentDigests }
        let needsSources = variants.contains { $0.needsSourceHashes }
        let scans = try await pipeline.scanLayers(hashContents: needsDigests, hashSources: needsSources)
        var reports: [AuditReport.Entry] = []
        for variant in variants {
            let step = ProgressStep(verb: "audit", subject: variant.name)
            settings.progress.started(step)
            defer { settings.progress.finished(step) }
            let plans = try pipeline.plan(scans: scans, variant: variant)
            let store = CountingBlobStore()
            let layers = try await pipeline.rewriteLayers(scans: scans, plans: plans, store: store)
            let documents = try pipeline.writeDocuments(scans: scans, plans: plans, layers: layers, store: store)
            let report = pipeline.report(
                variant: variant, input: input, output: "", scans: scans, plans: plans, layers: layers,
                documents: documents
            )
            reports.append(AuditReport.Entry(name: variant.name, report: report))
        }
        pipeline.cache.finish()
        // The cache's counts are the whole run's: once, at the top.
        for index in reports.indices { reports[index].report.cache = nil }
        return AuditReport(input: input, strategies: reports, cache: pipeline.cache.summary)
    }
}

/// The PEP's missing "Size impact" table, for one image layout: per strategy, what `rewrite` would save.
public struct AuditReport: Codable, Sendable {
    /// One strategy's result.
    public struct Entry: Codable, Sendable {
        /// The strategy as `audit` names it.
        public var name: String
        /// What `rewrite` would report (digests are those the output would have).
        public var report: RewriteReport
    }

    /// The tool that wrote the report (set by the command line).
    public var tool: ToolInfo?
    /// The audited layout.
    public var input: String
    /// One entry per strategy, in the order compared.
    public var strategies: [Entry]
    /// With `--cache`: what the cache held and saved over the whole audit; absent without it.
    public var cache: CacheReport?
}
