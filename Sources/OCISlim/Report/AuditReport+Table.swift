import Foundation

/// The human audit: a size-impact summary per strategy, then the per-layer detail.
extension AuditReport {
    /// Renders the report as aligned text, its tables fitted to `width` columns (nil: as wide as they are).
    public func renderTable(width: Int? = nil) -> String {
        let arguments = strategies.first?.report.compressionArguments ?? ""
        let verdicts = Set(strategies.map(\.report.nothingToDo))
        if verdicts.count == 1, let verdict = verdicts.first, let verdict {
            return Prose.lines("\(input): \(verdict) (no strategy would change the image)", width: width)
                .joined(separator: "\n")
        }
        var lines = Prose.lines(
            "Size impact of each strategy on \(input) (what `ocislim rewrite\(arguments)` would write)", width: width)
        lines.append("")
        var rows = [["strategy", "uncompressed", "compressed", "removed", "added", "hardlinked", "converted", "kept"]]
        for entry in strategies {
            let totals = entry.report.totals
            let modules = entry.report.images.map(\.modules)
            rows.append([
                entry.name, Self.saving(totals.uncompressedSize), Self.saving(totals.compressedSize),
                "\(totals.filesRemoved)", "\(totals.filesAdded)", "\(totals.filesHardlinked)",
                "\(modules.map(\.converted).reduce(0, +))",
                "\(modules.flatMap(\.kept.values).reduce(0, +))",
            ])
        }
        lines += TextTable(header: rows[0], rows: Array(rows.dropFirst())).render(width: width)
        for line in Self.referrerLines(strategies) { lines += Prose.lines(line, width: width) }
        for entry in strategies {
            lines.append("")
            lines.append("\(entry.name):")
            var layerRows = [["image", "layer", "codec", "compressed", "uncompressed", "removed", "added", "linked"]]
            for image in entry.report.images {
                for layer in image.layers {
                    layerRows.append([
                        image.name, "\(layer.index)", RewriteReport.codecs(layer.compression),
                        RewriteReport.sizes(layer.compressedSize),
                        RewriteReport.sizes(layer.uncompressedSize), "\(layer.filesRemoved)", "\(layer.filesAdded)",
                        "\(layer.filesHardlinked)",
                    ])
                }
            }
            let table = TextTable(header: layerRows[0], rows: Array(layerRows.dropFirst()), keyColumns: 2)
            lines += table.render(width: width.map { $0 - 2 }).map { $0.isEmpty ? $0 : "  " + $0 }
            // Under the table, not in a column: the reasons are too long to line up with sizes.
            for image in entry.report.images where !image.modules.kept.isEmpty {
                let kept = image.modules.kept.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                lines += Prose.lines(
                    "  \(image.name): sources kept: \(kept.joined(separator: ", "))", width: width, indent: "    ")
            }
        }
        if let cache { lines += [""] + RewriteReport.cacheLines(cache, width: width) }
        return lines.joined(separator: "\n")
    }

    /// What `rewrite` would do to the image's signatures and attestations, one line per distinct outcome naming the
    /// strategies it follows: "signatures: drop-bytecode would drop 3 signatures and relink 1 attestation (their
    /// images get new digests; rewrite --signatures, --attestations)". Nothing when every referrer stays valid.
    static func referrerLines(_ strategies: [Entry]) -> [String] {
        var outcomes: [(effect: String, strategies: [String])] = []
        for entry in strategies {
            let changed = entry.report.referrers.filter { $0.action != .unchanged }
            guard !changed.isEmpty else { continue }
            var counts: [(ReferrerAction, Bool, Int)] = []
            for action in [ReferrerAction.dropped, .kept, .relinked] {
                for signed in [true, false] {
                    let count = changed.filter { $0.action == action && ($0.class != .attestation) == signed }.count
                    if count > 0 { counts.append((action, signed, count)) }
                }
            }
            let effect = counts.map { action, signed, count in
                let things = "\(count) \(signed ? "signature" : "attestation")\(count == 1 ? "" : "s")"
                switch action {
                case .kept: return "keep \(things) that no longer verify"
                case .relinked: return "relink \(things)"
                case .dropped, .unchanged: return "drop \(things)"
                }
            }.joined(separator: " and ")
            if let index = outcomes.firstIndex(where: { $0.effect == effect }) {
                outcomes[index].strategies.append(entry.name)
            } else {
                outcomes.append((effect, [entry.name]))
            }
        }
        return outcomes.map {
            "referrers: \($0.strategies.joined(separator: ", ")) would \($0.effect) (their images get new digests; "
                + "rewrite --signatures, --attestations)"
        }
    }

    /// "saved 11.6 MiB (4.2%)" for a size change.
    static func saving(_ change: SizeChange) -> String {
        let saved = change.old - change.new
        let percent = change.old > 0 ? Double(saved) * 100 / Double(change.old) : 0
        return "\(ByteCount(saved)) (\(String(format: "%.1f", percent))%)"
    }
}
