/// Assembles the report and its totals (distinct layers counted once).
struct ReportBuilder {
    let options: RewriteOptions
    let images: [ImageReport]
    let blobRewrites: [BlobRewrite]
    let warnings: [String]

    func build() -> RewriteReport {
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
        return RewriteReport(
            strategy: options.strategy.rawValue, compression: options.compression.description,
            compressionLevel: options.compressionLevel, input: options.input, output: options.output, images: images,
            rewrittenBlobs: blobRewrites.sorted { $0.old < $1.old }, totals: totals, warnings: warnings
        )
    }
}
