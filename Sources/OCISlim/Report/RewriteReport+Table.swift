import Foundation

/// The human report: one table per image, then totals.
extension RewriteReport {
    /// Renders the report as aligned text, its table fitted to `width` columns (nil: as wide as it is).
    public func renderTable(width: Int? = nil) -> String {
        var lines: [String] = []
        let command = "ocislim rewrite \(strategyArguments)\(compressionArguments): \(input) → \(output)"
        if let nothingToDo {
            return Prose.lines("\(command): \(nothingToDo) (the output is the input, byte for byte)", width: width)
                .joined(separator: "\n")
        }
        lines += Prose.lines(command, width: width)
        for image in images {
            lines.append("")
            lines.append("image \(image.name)  manifest \(image.manifest.old.short) → \(image.manifest.new.short)")
            var rows: [[String]] = [
                ["layer", "blob", "codec", "compressed", "uncompressed", "removed", "added", "linked", "saved"]
            ]
            for layer in image.layers { rows += Self.layerRows(layer) }
            lines += TextTable(header: rows[0], rows: Array(rows.dropFirst())).render(width: width)
            if image.modules.converted > 0 || !image.modules.kept.isEmpty {
                let kept = image.modules.kept.sorted { $0.key < $1.key }
                lines.append(
                    "modules: \(image.modules.converted) converted to sourceless bytecode; sources kept:"
                        + (kept.isEmpty ? " none" : "")
                )
                lines += kept.map { "  \($0.value) \($0.key)" }
            }
            if !image.environmentAdded.isEmpty {
                lines.append("config Env += \(image.environmentAdded.joined(separator: " "))")
            }
        }
        lines.append("")
        lines += Self.clauses(
            "total: ",
            [
                "\(totals.layersRewritten) of \(totals.layers) layers rewritten"
                    + (totals.layersRecompressed > 0 ? " (\(totals.layersRecompressed) recompressed)" : ""),
                "\(totals.filesRemoved) files removed, \(totals.filesAdded) added, \(totals.filesHardlinked) hardlinked",
            ], separator: ";", width: width)
        lines += Self.clauses(
            "size: ",
            [
                "compressed \(Self.sizes(totals.compressedSize))",
                "uncompressed \(Self.sizes(totals.uncompressedSize))",
            ], separator: ";", width: width)
        if !totals.bytesSaved.isEmpty {
            let saved = totals.bytesSaved.sorted { $0.key < $1.key }.map { "\($0.key) \(ByteCount($0.value))" }
            lines += Self.clauses("saved: ", saved, separator: ",", width: width)
        }
        if let cache { lines += Self.cacheLines(cache, width: width) }
        if let unshared = unsharedByReclaim {
            lines += Prose.lines(
                "note: --reclaim-hidden alone rewrote \(unshared.layers) layer\(unshared.layers == 1 ? "" : "s") "
                    + "(\(ByteCount(unshared.compressedBytes)) compressed): images that share them no longer do, so a "
                    + "fleet stores and pulls them once more per image; --keep-layers or --keep-layers-of keeps them",
                width: width)
        }
        for referrer in referrers where referrer.action != .unchanged {
            // A relinked cosign .sbom tag keeps its manifest: what changed is the tag.
            let renamed = referrer.action == .relinked ? referrer.name.map { " as \($0)" } : nil
            let target = referrer.newDigest.map { " → \($0.short)" } ?? renamed ?? ""
            lines += Prose.lines(
                "\(referrer.class.rawValue) \(referrer.digest.short) (\(referrer.kind.rawValue)) of "
                    + "\(referrer.subject.old.short): \(referrer.action.rawValue)\(target)", width: width)
        }
        // One line each, however wide: a warning is a log record, found with grep.
        for warning in warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }

    /// `--cache`'s lines: hits and misses of scans and of rewritten layers, and the tar bytes not processed again.
    static func cacheLines(_ cache: CacheReport, width: Int?) -> [String] {
        clauses(
            "cache \(cache.directory): ",
            [
                "scans \(cache.scans.hits) hit, \(cache.scans.misses) missed",
                "layers \(cache.layers.hits) hit, \(cache.layers.misses) missed",
                "\(ByteCount(cache.bytesNotRecomputed)) not recomputed",
            ], separator: ";", width: width)
    }

    /// `label` and `parts` joined by `separator` on one line, or, when that is wider than `width`, one part a line
    /// under the first, lined up after the label.
    static func clauses(_ label: String, _ parts: [String], separator: String, width: Int?) -> [String] {
        let line = label + parts.joined(separator: separator + " ")
        guard let width, line.count > width else { return [line] }
        let indent = String(repeating: " ", count: label.count)
        return parts.enumerated().map { position, part in
            (position == 0 ? label : indent) + part + (position < parts.count - 1 ? separator : "")
        }
    }

    /// A layer's rows: the old blob, codec and sizes on the first, the new ones under them (`→`), and what was saved
    /// one category a line, so the table stays within 120 columns however many categories a layer has.
    static func layerRows(_ layer: LayerReport) -> [[String]] {
        let saved = layer.bytesSaved.sorted { $0.key < $1.key }.map { "\($0.key) \(ByteCount($0.value))" }
        var first = [
            "\(layer.index)", layer.blob.old.short, layer.compression.old.rawValue,
            ByteCount(layer.compressedSize.old).description, ByteCount(layer.uncompressedSize.old).description,
            "\(layer.filesRemoved)", "\(layer.filesAdded)", "\(layer.filesHardlinked)",
        ]
        guard !layer.unchanged || layer.compression.old != layer.compression.new else {
            first += ["unchanged"]
            return [first]
        }
        first += [saved.first ?? "-"]
        var rows = [
            first,
            [
                "", "→ " + layer.blob.new.short,
                layer.compression.new == layer.compression.old ? "" : "→ " + layer.compression.new.rawValue,
                newSize(layer.compressedSize), newSize(layer.uncompressedSize), "", "", "",
                saved.dropFirst().first ?? "",
            ],
        ]
        rows += saved.dropFirst(2).map { ["", "", "", "", "", "", "", "", $0] }
        return rows
    }

    /// "79.4 MiB -19.9%": a new size and its change from the old one.
    static func newSize(_ change: SizeChange) -> String {
        guard change.old != change.new else { return ByteCount(change.new).description }
        return "\(ByteCount(change.new)) \(percent(change))"
    }

    /// ` --compression zstd --compression-level 19` as given, or nothing for the default (`keep`, default levels).
    /// `--strategy NAME`, `--reclaim-hidden`, or both.
    var strategyArguments: String {
        let strategy = strategy == "none" ? nil : "--strategy \(strategy)"
        return [strategy, reclaimHidden ? "--reclaim-hidden" : nil].compactMap { $0 }.joined(separator: " ")
    }

    var compressionArguments: String {
        (compression == "keep" ? "" : " --compression \(compression)")
            + (compressionLevel.map { " --compression-level \($0)" } ?? "")
    }

    /// "gzip", or "gzip → zstd" for a layer written with another compression.
    static func codecs(_ change: CompressionChange) -> String {
        change.old == change.new ? change.old.rawValue : "\(change.old.rawValue) → \(change.new.rawValue)"
    }

    static func sizes(_ change: SizeChange) -> String {
        guard change.old != change.new else { return ByteCount(change.old).description }
        return "\(ByteCount(change.old)) → \(ByteCount(change.new)) (\(percent(change)))"
    }

    /// "-19.9%", "+84.8%": a size change relative to the old size.
    static func percent(_ change: SizeChange) -> String {
        let percent = change.old > 0 ? Double(change.change) * 100 / Double(change.old) : 0
        return (change.change > 0 ? "+" : "") + String(format: "%.1f", percent) + "%"
    }
}

/// A byte count for people: 1.2 MiB.
struct ByteCount: CustomStringConvertible {
    let bytes: Int64
    init(_ bytes: Int64) { self.bytes = bytes }

    var description: String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
