import Foundation

/// The human report: one table per image, then totals.
extension RewriteReport {
    /// Renders the report as aligned text.
    public func renderTable() -> String {
        var lines: [String] = []
        lines.append("ocislim rewrite --strategy \(strategy)\(compressionArguments): \(input) → \(output)")
        for image in images {
            lines.append("")
            lines.append("image \(image.name)  manifest \(image.manifest.old.short) → \(image.manifest.new.short)")
            var rows: [[String]] = [
                [
                    "layer", "blob", "codec", "compressed", "uncompressed", "removed", "added", "linked",
                    "saved by category",
                ]
            ]
            for layer in image.layers {
                rows.append([
                    "\(layer.index)",
                    layer.unchanged
                        ? "\(layer.blob.old.short) (unchanged)" : "\(layer.blob.old.short) → \(layer.blob.new.short)",
                    Self.codecs(layer.compression),
                    Self.sizes(layer.compressedSize),
                    Self.sizes(layer.uncompressedSize),
                    "\(layer.filesRemoved)", "\(layer.filesAdded)", "\(layer.filesHardlinked)",
                    Self.categories(layer.bytesSaved),
                ])
            }
            lines.append(contentsOf: Self.align(rows))
            if image.modules.converted > 0 || !image.modules.kept.isEmpty {
                let kept = image.modules.kept.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                lines.append(
                    "modules: \(image.modules.converted) converted to sourceless bytecode; sources kept: "
                        + (kept.isEmpty ? "none" : kept.joined(separator: ", "))
                )
            }
            if !image.environmentAdded.isEmpty {
                lines.append("config Env += \(image.environmentAdded.joined(separator: " "))")
            }
        }
        lines.append("")
        lines.append(
            "total: \(totals.layersRewritten) of \(totals.layers) layers rewritten"
                + (totals.layersRecompressed > 0 ? " (\(totals.layersRecompressed) recompressed); " : "; ")
                + "compressed \(Self.sizes(totals.compressedSize)); uncompressed \(Self.sizes(totals.uncompressedSize)); "
                + "\(totals.filesRemoved) files removed, \(totals.filesAdded) added, \(totals.filesHardlinked) hardlinked"
        )
        if !totals.bytesSaved.isEmpty { lines.append("saved: \(Self.categories(totals.bytesSaved))") }
        for warning in warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }

    /// ` --compression zstd --compression-level 19` as given, or nothing for the default (`keep`, default levels).
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
        let percent = change.old > 0 ? Double(change.change) * 100 / Double(change.old) : 0
        let sign = change.change > 0 ? "+" : ""
        return "\(ByteCount(change.old)) → \(ByteCount(change.new)) (\(sign)\(String(format: "%.1f", percent))%)"
    }

    static func categories(_ saved: [String: Int64]) -> String {
        saved.isEmpty
            ? "-"
            : saved.sorted { $0.key < $1.key }.map { "\($0.key) \(ByteCount($0.value))" }
                .joined(separator: ", ")
    }

    static func align(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
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
