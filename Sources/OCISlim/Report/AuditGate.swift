import PythonMinimizer

/// A size as `--fail-if-…-over` and `--min-layer-saving` take it: bytes with an optional decimal (`kB`, `MB`,
/// `GB`) or binary (`KiB`, `MiB`, `GiB`) suffix, or a percentage of the image (`5%`).
public enum SizeLimit: Equatable, Sendable, CustomStringConvertible {
    case bytes(Int64)
    case percent(Double)

    /// Parses `20MB`, `512KiB`, `1048576`, `5%`; nil for anything else.
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace
        if trimmed.hasSuffix("%") {
            guard let value = Double(trimmed.dropLast()), value >= 0, value <= 100 else { return nil }
            self = .percent(value)
            return
        }
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824,
        ]
        guard let number = Double(digits), let multiplier = multipliers[unit] else { return nil }
        let bytes = (number * multiplier).rounded()
        guard bytes >= 0, bytes < Double(Int64.max) else { return nil }
        self = .bytes(Int64(bytes))
    }

    /// The limit in bytes for an image of `total` bytes.
    public func bytes(of total: Int64) -> Int64 {
        switch self {
        case .bytes(let bytes): bytes
        case .percent(let percent): Int64((Double(total) * percent / 100).rounded(.down))
        }
    }

    public var description: String {
        switch self {
        case .bytes(let bytes): "\(ByteCount(bytes))"
        case .percent(let percent): "\(percent.formatted)%"
        }
    }
}

/// `audit`'s CI gate: fails a build whose image could shrink, or hides, more than a limit.
public struct AuditGate: Sendable, Equatable {
    /// `--fail-if-saving-over`: compressed bytes a strategy would save (or that share of the compressed image).
    public var savingLimit: SizeLimit?
    /// `--fail-if-hidden-over`: bytes of file data upper layers hide (or that share of the uncompressed image).
    public var hiddenLimit: SizeLimit?

    /// Makes a gate.
    public init(savingLimit: SizeLimit? = nil, hiddenLimit: SizeLimit? = nil) {
        self.savingLimit = savingLimit
        self.hiddenLimit = hiddenLimit
    }

    /// Whether the audit must measure hidden files.
    public var needsHiddenFiles: Bool { hiddenLimit != nil }

    /// The limits `report` exceeds, each as one sentence; empty when the gate passes.
    public func violations(of report: AuditReport) -> [String] {
        var found: [String] = []
        if let savingLimit {
            let savings = report.strategies.filter { $0.name != StrategyVariant.hiddenFiles.name }.map { entry in
                (entry.name, entry.report.totals.compressedSize)
            }
            if let (name, size) = savings.max(by: { -$0.1.change < -$1.1.change }) {
                let saved = -size.change
                let limit = savingLimit.bytes(of: size.old)
                if saved > limit {
                    found.append(
                        "the image could shrink by \(ByteCount(saved)) (\(Self.percent(saved, of: size.old))) under "
                            + "\(name), over the \(savingLimit) limit (--fail-if-saving-over)")
                }
            }
        }
        if let hiddenLimit, let entry = report.strategies.first(where: { $0.name == StrategyVariant.hiddenFiles.name })
        {
            let hidden = entry.report.totals.bytesSaved[SavingCategory.hidden.rawValue] ?? 0
            let total = entry.report.totals.uncompressedSize.old
            if hidden > hiddenLimit.bytes(of: total) {
                found.append(
                    "the image holds \(ByteCount(hidden)) (\(Self.percent(hidden, of: total))) of files its upper "
                        + "layers hide, over the \(hiddenLimit) limit (--fail-if-hidden-over; --reclaim-hidden "
                        + "removes them)")
            }
        }
        return found
    }

    private static func percent(_ part: Int64, of total: Int64) -> String {
        total > 0 ? "\((Double(part) * 100 / Double(total)).formatted)%" : "0%"
    }
}

extension Double {
    /// One decimal, without a trailing `.0`.
    fileprivate var formatted: String {
        let tenths = (self * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int64(tenths))" : "\(tenths)"
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
