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
    /// Files no one can see: replaced or deleted by a later layer (`--reclaim-hidden`).
    case hidden

    public static func < (lhs: SavingCategory, rhs: SavingCategory) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What happens to one entry; entries without an action are kept byte for byte. Whether a whiteout must hide a
/// lower layer's copy of the entry's path, or a `__pysources__` directory entry must come first, are facts about the
/// layer, not the action: `LayerPlan.hidesLowerCopy` and `LayerPlan.createsSourceDirectory` hold them.
public enum EntryAction: Hashable, Sendable, Codable {
    /// Left out.
    case drop(SavingCategory)
    /// Replaced by a hardlink to an earlier identical file in the same layer.
    case hardlink(to: ImagePath)
    /// Left out, but its data is written under the name of its first kept hardlink (`as`), which links needed.
    case materialize(as: ImagePath, category: SavingCategory)
    /// A hardlink whose entry was written earlier by a `materialize`; left out here.
    case absorbed
    /// A hardlink kept, pointing at a new target because its old one was materialized elsewhere.
    case retarget(to: ImagePath)
    /// Written under another name with its data unchanged: bytecode moved beside where its source was.
    case move(to: ImagePath)
    /// A source replaced by its gzip-compressed copy at `into` (`__pysources__/name.zpy`).
    case compressSource(into: ImagePath)
    /// A source without bytecode, compiled by the host CPython into sourceless bytecode at `into`, and kept
    /// compressed at `sources` unless nil.
    case compileSource(into: ImagePath, sources: ImagePath?)

    /// Whether the entry's own path holds nothing in this layer after the rewrite, so a lower layer's copy of it
    /// would show through unless a whiteout hides it. (An absorbed link's path is the materialized data's name.)
    public var vacatesPath: Bool {
        switch self {
        case .drop, .materialize, .move, .compressSource, .compileSource: true
        case .hardlink, .retarget, .absorbed: false
        }
    }

    /// The paths the rewrite writes the entry's data under, instead of its own.
    public var newPaths: [ImagePath] {
        switch self {
        case .materialize(let path, _), .move(let path), .compressSource(let path): [path]
        case .compileSource(let pyc, let sources): [pyc] + (sources.map { [$0] } ?? [])
        case .drop, .hardlink, .retarget, .absorbed: []
        }
    }

    /// The `__pysources__` path the action writes a compressed source to, if any.
    public var compressedSourcePath: ImagePath? {
        switch self {
        case .compressSource(let path): path
        case .compileSource(_, let sources): sources
        default: nil
        }
    }

    /// The file data bytes the action saves on an entry of `size` bytes, and why; nil when it saves none (the data
    /// survives under another name). The one definition of a saving: reports and `--min-layer-saving` use it.
    public func saving(entrySize size: Int64) -> (category: SavingCategory, bytes: Int64)? {
        switch self {
        case .drop(let category): (category, size)
        case .hardlink: (.duplicates, size)
        case .compressSource, .compileSource: (.sources, size)
        case .materialize, .move, .absorbed, .retarget: nil
        }
    }
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
    /// Entries whose path a whiteout hides in this layer, written before them: the action vacates the path while a
    /// lower layer still has a copy there.
    public var hidesLowerCopy: Set<Int> = []
    /// Entries whose compressed source is the first in its `__pysources__` directory in this layer: the directory's
    /// entry is written before it.
    public var createsSourceDirectory: Set<Int> = []
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
    /// Whether the image has a Python interpreter (`…/bin/python3`) at the top: without one there is nothing a
    /// strategy is for, and reports say so in one line.
    public var hasInterpreter = true

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
            if let saving = action.saving(entrySize: scan.entries[index].size) {
                bytesSaved[saving.category, default: 0] += saving.bytes
            }
            switch action {
            case .hardlink: filesHardlinked += 1
            case .drop, .materialize, .compressSource, .compileSource: filesRemoved += 1
            case .move, .absorbed, .retarget: break
            }
            // New files: the compressed source and the compiled bytecode (a moved or materialized file is the same
            // file under another name).
            switch action {
            case .compressSource: filesAdded += 1
            case .compileSource(_, let sources): filesAdded += sources == nil ? 1 : 2
            default: break
            }
        }
        filesAdded += plan.hidesLowerCopy.count + plan.createsSourceDirectory.count + plan.additions.count
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
