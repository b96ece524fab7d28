import OCIImage
import PythonMinimizer

/// `ocislim rewrite`: read layout → scan layers → plan each image → rewrite layers → write documents → report.
public struct ImageRewriter: Sendable {
    /// What to do.
    public let options: RewriteOptions

    /// Makes a rewriter.
    public init(options: RewriteOptions) { self.options = options }

    /// Runs the rewrite. The output appears complete, or not at all; the input is only read.
    public func run() async throws -> RewriteReport {
        let layout = try ImageLayout(path: options.input)
        let output = try OutputLayout(path: options.output)
        do {
            let report = try await rewrite(layout, into: output)
            try output.publish()
            return report
        } catch {
            output.discard()
            throw error
        }
    }

    private func rewrite(_ layout: ImageLayout, into output: OutputLayout) async throws -> RewriteReport {
        let warnings = WarningLog()
        let progress = options.progress

        // MARK: Read the layout
        let graph = try GraphReader(layout: layout, warn: { warnings.add($0) }).read()
        let images = graph.children.flatMap(\.images)

        // MARK: Scan every distinct layer once
        var layerDescriptors: [Digest: Descriptor] = [:]
        for image in images { for layer in image.manifest.layers { layerDescriptors[layer.digest] = layer } }
        let toScan = layerDescriptors.values.sorted { $0.digest < $1.digest }
        let scanner = LayerScanner(layout: layout, hashContents: options.strategy.needsContentDigests)
        let scanned = try await concurrentMap(toScan, jobs: options.jobs) { descriptor in
            progress("scan \(descriptor.digest.short) (\(ByteCount(descriptor.size)))")
            do {
                return try scanner.scan(descriptor)
            } catch {
                throw RewriteError.layer(descriptor.digest, underlying: error)
            }
        }
        let scans = Dictionary(uniqueKeysWithValues: zip(toScan.map(\.digest), scanned))

        // MARK: Plan each image over the merged view of its layers
        let planner = Planner(strategy: options.strategy, minimumLayerSaving: options.minimumLayerSaving)
        var plans: [Digest: ImagePlan] = [:]
        for image in images {
            let layerScans = try image.manifest.layers.enumerated().map { index, layer in
                guard let scan = scans[layer.digest] else { preconditionFailure("layer scanned above") }
                let listed = image.config.rootfs.diff_ids[index]
                guard scan.diffID == listed else {
                    throw RewriteError.diffIDMismatch(
                        layer: layer.digest, config: image.manifest.config.digest, expected: listed, actual: scan.diffID
                    )
                }
                return scan.scan
            }
            plans[image.descriptor.digest] = planner.plan(layerScans)
        }

        // MARK: Rewrite each distinct (layer, plan) once; pass unchanged layers through
        var jobs: [LayerJob] = []
        var seen: Set<LayerJob> = []
        for image in images {
            guard let plan = plans[image.descriptor.digest] else { continue }
            for (index, layer) in image.manifest.layers.enumerated() {
                let job = LayerJob(descriptor: layer, plan: plan.layers[index])
                if seen.insert(job).inserted { jobs.append(job) }
            }
        }
        let rewriter = LayerRewriter(layout: layout, store: output.blobs)
        let results = try await concurrentMap(jobs, jobs: options.jobs) { job -> RewrittenLayer in
            guard let scan = scans[job.descriptor.digest] else { preconditionFailure("layer scanned above") }
            do {
                if job.plan.isUnchanged {
                    progress("copy \(job.descriptor.digest.short) (unchanged)")
                    try output.blobs.copy(job.descriptor, from: layout)
                    return RewrittenLayer(
                        descriptor: job.descriptor, diffID: scan.diffID, uncompressedSize: scan.uncompressedSize
                    )
                }
                progress("rewrite \(job.descriptor.digest.short) (\(ByteCount(job.descriptor.size)))")
                return try rewriter.rewrite(job.descriptor, scanned: scan, plan: job.plan)
            } catch {
                throw RewriteError.layer(job.descriptor.digest, underlying: error)
            }
        }
        let rewritten = Dictionary(uniqueKeysWithValues: zip(jobs, results))

        // MARK: Write configs, manifests, indexes
        var writer = DocumentWriter(
            layout: layout, store: output.blobs, plans: plans, scans: scans, rewritten: rewritten
        )
        let children = try graph.children.map { try writer.write($0) }
        let indexBytes =
            children.map(\.digest) == graph.index.manifests.map(\.digest)
            ? graph.bytes
            : try DocumentPatcher.index(graph.bytes, manifests: children, what: "index.json")
        try output.writeFile("oci-layout", try layout.layoutMarkerBytes())
        try output.writeFile("index.json", indexBytes)

        // MARK: Report
        return ReportBuilder(
            options: options, images: writer.imageReports, blobRewrites: writer.blobRewrites,
            warnings: warnings.all + toScan.indices.flatMap { index in
                scanned[index].warnings.map { "layer \(toScan[index].digest.short): \($0)" }
            }
        ).build()
    }
}

/// One layer rewrite: the same blob with the same plan is done once, whichever images share it.
struct LayerJob: Hashable, Sendable {
    let descriptor: Descriptor
    let plan: LayerPlan
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
        return results.map { $0! }
    }
}

import Foundation
