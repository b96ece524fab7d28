/// Why bytes were saved.
public enum SavingCategory: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// Plain (`opt-0`) bytecode in `__pycache__`.
    case bytecode
    /// Optimized (`opt-1`, `opt-2`) bytecode.
    case optimizedBytecode = "optimized-bytecode"
    /// Identical files stored once as hardlinks.
    case duplicates
    /// Python sources replaced by sourceless bytecode (their compressed copies are counted in the layer sizes).
    case sources

    public static func < (lhs: SavingCategory, rhs: SavingCategory) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What happens to one entry; entries without an action are kept byte for byte.
public enum EntryAction: Hashable, Sendable {
    /// Left out.
    case drop(SavingCategory)
    /// Left out, with a whiteout in its place, because a lower layer holds the same path and must stay hidden.
    case whiteout(SavingCategory)
    /// Replaced by a hardlink to an earlier identical file in the same layer.
    case hardlink(to: ImagePath)
    /// Left out, but its data is written under the name of its first kept hardlink (`as`), which links needed;
    /// `whiteout` adds a whiteout for the entry's own path.
    case materialize(as: ImagePath, category: SavingCategory, whiteout: Bool)
    /// A hardlink whose entry was written earlier by a `materialize`; left out here.
    case absorbed
    /// A hardlink kept, pointing at a new target because its old one was materialized elsewhere.
    case retarget(to: ImagePath)
    /// Written under another name with its data unchanged: bytecode moved beside where its source was.
    /// `whiteout` adds a whiteout for the entry's own path.
    case move(to: ImagePath, whiteout: Bool)
    /// A source replaced by its gzip-compressed copy at `into` (`__pysources__/name.zpy`), preceded by that
    /// directory's entry when `createDirectory`; `whiteout` adds a whiteout for the entry's own path.
    case compressSource(into: ImagePath, createDirectory: Bool, whiteout: Bool)

    /// A source without bytecode, compiled by the host CPython into sourceless bytecode at `into`, and kept
    /// compressed at `sources` (with that directory's entry first when `createDirectory`) unless nil.
    case compileSource(into: ImagePath, sources: ImagePath?, createDirectory: Bool, whiteout: Bool)

}

/// A file the rewrite adds to a layer (the PEP's marker files).
public struct AddedFile: Hashable, Sendable {
    /// Where it goes.
    public let path: ImagePath
    /// Its content.
    public let data: [UInt8]
    /// Its metadata.
    public let metadata: EntryMetadata
}

/// Everything that changes in one layer.
public struct LayerPlan: Hashable, Sendable {
    /// Actions by entry index; an index that is absent is kept.
    public var actions: [Int: EntryAction] = [:]
    /// Files appended to the layer, in this order.
    public var additions: [AddedFile] = []
    /// For each materialized entry, the links that depend on it (to undo the materialization).
    var dependentLinks: [Int: [Int]] = [:]

    /// Whether the layer stays exactly as it was (same blob, same digest).
    public var isUnchanged: Bool { actions.isEmpty && additions.isEmpty }

    /// Makes an empty plan.
    public init() {}
}

/// The plan for a whole image.
public struct ImagePlan: Hashable, Sendable {
    /// One plan per layer, bottom first.
    public var layers: [LayerPlan]
    /// Environment variables to add to the config (`KEY=VALUE`), unless the config already sets the key.
    public var environment: [String]
    /// For `sourceless`: how many modules were converted, and why the others were kept.
    public var modules: ModuleSummary = ModuleSummary()

    /// Whether nothing changes at all.
    public var isUnchanged: Bool { layers.allSatisfy(\.isUnchanged) && environment.isEmpty }
}

/// What a layer plan does, in counts and bytes.
public struct PlanSummary: Hashable, Sendable, Codable {
    /// Files that are no longer in the layer.
    public var filesRemoved = 0
    /// Files added (marker files, whiteouts).
    public var filesAdded = 0
    /// Files now stored as hardlinks.
    public var filesHardlinked = 0
    /// File data bytes saved, by category.
    public var bytesSaved: [SavingCategory: Int64] = [:]

    /// Summarizes a plan over its layer's entries.
    public init(plan: LayerPlan, scan: LayerScan) {
        for (index, action) in plan.actions {
            let entry = scan.entries[index]
            switch action {
            case .drop(let category):
                filesRemoved += 1
                bytesSaved[category, default: 0] += entry.size
            case .whiteout(let category):
                filesRemoved += 1
                filesAdded += 1
                bytesSaved[category, default: 0] += entry.size
            case .hardlink:
                filesHardlinked += 1
                bytesSaved[.duplicates, default: 0] += entry.size
            case .materialize(_, let category, let whiteout):
                // The data survives under the link's name; the path itself is what is removed.
                filesRemoved += 1
                if whiteout { filesAdded += 1 }
                _ = category
            case .move(_, let whiteout):
                if whiteout { filesAdded += 1 }
            case .compressSource(_, let createDirectory, let whiteout):
                filesRemoved += 1
                filesAdded += 1 + (createDirectory ? 1 : 0) + (whiteout ? 1 : 0)
                bytesSaved[.sources, default: 0] += entry.size
            case .compileSource(_, let sources, let createDirectory, let whiteout):
                filesRemoved += 1
                filesAdded += 1 + (sources == nil ? 0 : 1) + (createDirectory ? 1 : 0) + (whiteout ? 1 : 0)
                bytesSaved[.sources, default: 0] += entry.size
            case .absorbed, .retarget:
                break
            }
        }
        filesAdded += plan.additions.count
    }

    /// Makes an empty summary.
    public init() {}
}

/// What the `sourceless` strategy did with the image's Python sources.
public struct ModuleSummary: Hashable, Sendable, Codable {
    /// Modules now shipped as sourceless bytecode (including those compiled).
    public var converted = 0
    /// Of those, modules compiled by `--compile-with` because the image had no bytecode for them.
    public var compiled = 0
    /// Sources left as they are, by reason.
    public var kept: [String: Int] = [:]

    /// Makes an empty summary.
    public init() {}
}
