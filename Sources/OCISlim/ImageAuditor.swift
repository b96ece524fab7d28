import OCIImage
import PythonMinimizer

/// `ocislim audit`: what each strategy would save on an image, measured by running the rewrite for real into a store
/// that keeps nothing. The numbers are the ones `rewrite` produces, because they come from the same code.
public struct ImageAuditor: Sendable {
    /// The layout to audit.
    public let input: String
    /// The strategies compared.
    public let variants: [StrategyVariant]
    /// Layers that would save less are left unchanged, as in `rewrite`.
    public let minimumLayerSaving: Int64
    /// The compression of the layers the rewrites would write, as in `rewrite`.
    public let compression: OutputCompression
    /// Their level; nil for each codec's default.
    public let compressionLevel: Int32?
    /// How many layers are processed at once.
    public let jobs: Int?
    /// Receives progress lines.
    public let progress: @Sendable (String) -> Void

    /// Every strategy, and sourceless with its sources dropped too.
    public static let allVariants: [StrategyVariant] =
        Strategy.allCases.map { StrategyVariant(strategy: $0) }
        + [StrategyVariant(strategy: .sourceless, sourceless: SourcelessOptions(keepSources: false))]

    /// Makes an auditor.
    public init(
        input: String, variants: [StrategyVariant] = ImageAuditor.allVariants, minimumLayerSaving: Int64 = 0,
        compression: OutputCompression = .keep, compressionLevel: Int32? = nil, jobs: Int? = nil,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.input = input
        self.variants = variants
        self.minimumLayerSaving = minimumLayerSaving
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.jobs = jobs
        self.progress = progress
    }

    /// Scans every layer once, then rewrites it once per strategy, keeping only sizes and counts.
    public func run() async throws -> AuditReport {
        let layout = try ImageLayout(path: input)
        let options = RewriteOptions(
            input: input, output: "", strategy: .dedup, minimumLayerSaving: minimumLayerSaving,
            compression: compression, compressionLevel: compressionLevel, jobs: jobs, progress: progress
        )
        let pipeline = try RewritePipeline(layout: layout, options: options)
        let needsDigests = variants.contains { $0.strategy.needsContentDigests }
        let needsSources = variants.contains { $0.strategy.needsSourceHashes }
        let scans = try await pipeline.scanLayers(hashContents: needsDigests, hashSources: needsSources)
        var reports: [AuditReport.Entry] = []
        for variant in variants {
            progress("audit \(variant.name)")
            var report = try await pipeline.rewrite(scans: scans, variant: variant, store: .discarding)
            report.output = ""
            reports.append(AuditReport.Entry(name: variant.name, report: report))
        }
        return AuditReport(input: input, strategies: reports)
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

    /// The audited layout.
    public var input: String
    /// One entry per strategy, in the order compared.
    public var strategies: [Entry]
}
