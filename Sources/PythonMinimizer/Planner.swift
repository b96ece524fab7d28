/// Decides, from the entries of every layer, what each layer's rewrite does.
///
/// The passes, in order:
/// 1. the strategy marks entries per layer (drops, hardlinks, marker files); a layer whose file data would shrink by
///    less than `minimumLayerSaving` bytes is left as it is, keeping its digest (and its sharing across images);
/// 2. a path written twice in one layer keeps its later copy if the earlier one is kept (a whiteout cannot hide
///    an entry of its own layer);
/// 3. hardlinks inside a layer stay valid: a dropped target is written under its first kept link's name;
/// 4. hardlinks to lower layers keep their targets;
/// 5. over the merged view of the rewritten layers, an action that vacates a path a lower layer still fills gets a
///    whiteout (`LayerPlan.hidesLowerCopy`), so nothing a layer replaced comes back;
/// 6. with `reclaimHidden`, entries no one can see (`HiddenEntries`) are dropped in pass 1, and a whiteout left with
///    nothing below it to hide is dropped at the end.
/// The lowest `ImageContext.keepLayers` layers get no action at all.
public struct Planner: Sendable {
    /// The strategy applied; nil to minimize nothing (`--reclaim-hidden` alone).
    public let strategy: Strategy?
    /// Whether entries hidden by upper layers are removed (`--reclaim-hidden`), whatever the strategy.
    public let reclaimHidden: Bool
    /// Layers that would save fewer bytes of file data than this are passed through unchanged.
    public let minimumLayerSaving: Int64
    /// What `sourceless` does besides converting modules.
    public let sourcelessOptions: SourcelessOptions
    /// The minor version ("3.11") of the host CPython given by `--compile-with`, a fact the pipeline learned from
    /// it: sources of that version without bytecode are compiled (when they compile) instead of kept.
    public let compileVersion: String?

    /// Whether an image without a Python interpreter (`…/bin/python3`) is left as it is. The pipeline plans real
    /// images with it; unit tests of single rules plan bare trees without it.
    public let requiresInterpreter: Bool

    /// Makes a planner.
    public init(
        strategy: Strategy?, minimumLayerSaving: Int64 = 0, sourceless: SourcelessOptions = SourcelessOptions(),
        compileVersion: String? = nil, requiresInterpreter: Bool = false, reclaimHidden: Bool = false
    ) {
        self.requiresInterpreter = requiresInterpreter
        self.reclaimHidden = reclaimHidden
        self.strategy = strategy
        self.minimumLayerSaving = minimumLayerSaving
        self.sourcelessOptions = sourceless
        self.compileVersion = compileVersion
    }

    /// Plans an image whose layers, bottom first, hold `scans`.
    public func plan(_ scans: [LayerScan], context: ImageContext = ImageContext()) -> ImagePlan {
        // No interpreter, no Python to minimize: stray `.py` files (gcc's GDB pretty-printers) are data.
        let hasInterpreter = !requiresInterpreter || TopView(scans).hasInterpreter
        var plans = scans.map { _ in LayerPlan() }
        var modules = ModuleSummary()
        if strategy == .sourceless && hasInterpreter {
            (plans, modules) = sourcelessPlans(scans, context: context)
        } else if hasInterpreter {
            plans = scans.map { scan in
                let plan = strategyActions(for: scan)
                let saving = PlanSummary(plan: plan, scan: scan).bytesSaved.values.reduce(0, +)
                return saving < minimumLayerSaving ? LayerPlan() : plan
            }
        }
        if reclaimHidden { dropHiddenEntries(&plans, scans) }
        for index in plans.indices.prefix(context.keepLayers) { plans[index] = LayerPlan() }
        for index in plans.indices {
            keepLaterDuplicatePaths(&plans[index], scans[index])
            repairHardlinks(&plans[index], scans[index])
        }
        keepLowerLinkTargets(&plans, scans)
        hideLowerCopies(&plans, scans)
        if reclaimHidden { dropUselessWhiteouts(&plans, scans) }
        var plan = ImagePlan(layers: plans, environment: hasInterpreter ? environment(scans) : [])
        plan.modules = modules
        plan.hasInterpreter = hasInterpreter
        return plan
    }

    // MARK: 1. Strategy

    func strategyActions(for scan: LayerScan) -> LayerPlan {
        switch strategy {
        case nil: LayerPlan()
        case .dedup: deduplicate(scan)
        case .dropOptimized: dropBytecode(scan, optimizedOnly: true)
        case .dropBytecode: dropBytecode(scan, optimizedOnly: false)
        case .sourceless: LayerPlan()  // planned for the whole image at once: see Planner+Sourceless.swift
        }
    }

    private func dropBytecode(_ scan: LayerScan, optimizedOnly: Bool) -> LayerPlan {
        var plan = LayerPlan()
        // Per __pycache__ directory, the metadata of its newest dropped file: the marker takes owner and time.
        var emptied: [ImagePath: EntryMetadata] = [:]
        var existingMarkers: Set<ImagePath> = []
        for (index, entry) in scan.entries.enumerated() where Whiteout(entry.path) == nil {
            if entry.path.name.elementsEqual(dontWriteBytecodeMarker.utf8) { existingMarkers.insert(entry.path) }
            guard entry.kind != .directory, case .cachedBytecode(_, _, let level) = PythonFile(entry.path) else {
                continue
            }
            if optimizedOnly && level == 0 { continue }
            plan.actions[index] = .drop(level == 0 ? .bytecode : .optimizedBytecode)
            if !optimizedOnly {
                let directory = entry.path.parent
                if let newest = emptied[directory], newest.mtime >= entry.metadata.mtime { continue }
                emptied[directory] = entry.metadata
            }
        }
        for (directory, metadata) in emptied.sorted(by: { $0.key < $1.key }) {
            let marker = directory.appending(dontWriteBytecodeMarker)
            guard !existingMarkers.contains(marker) else { continue }
            let markerMetadata = EntryMetadata(
                permissions: 0o644, uid: metadata.uid, gid: metadata.gid, mtime: metadata.mtime
            )
            plan.additions.append(AddedFile(path: marker, data: [], metadata: markerMetadata))
        }
        return plan
    }

    /// What makes two files interchangeable as hardlinks: same bytes and same inode metadata. A `.pyc`'s mtime is
    /// left out (Python never reads it, and compileall writes each optimization level at its own moment); every
    /// other file keeps its mtime, which a `.py`'s timestamp bytecode depends on.
    private struct DuplicateKey: Hashable {
        let digest: [UInt8]
        let size: Int64
        let metadata: EntryMetadata
    }

    private func deduplicate(_ scan: LayerScan) -> LayerPlan {
        var plan = LayerPlan()
        var firstCopy: [DuplicateKey: Int] = [:]
        var keyOfPath: [ImagePath: DuplicateKey] = [:]
        for (index, entry) in scan.entries.enumerated() {
            // A path written again no longer holds the content recorded for it.
            if let stale = keyOfPath.removeValue(forKey: entry.path) { firstCopy[stale] = nil }
            // A sparse file is no candidate: its digest would have to cover its holes' offsets (see LayerEntry).
            guard entry.kind == .regular, entry.size > 0, !entry.isSparse, let digest = entry.contentDigest,
                Whiteout(entry.path) == nil, PythonFile.isInPythonTree(entry.path)
            else { continue }
            var metadata = entry.metadata
            if case .cachedBytecode = PythonFile(entry.path) {
                metadata.mtime = 0
                metadata.mtimeNanoseconds = 0
            }
            let key = DuplicateKey(digest: digest, size: entry.size, metadata: metadata)
            if let first = firstCopy[key] {
                plan.actions[index] = .hardlink(to: scan.entries[first].path)
            } else {
                firstCopy[key] = index
                keyOfPath[entry.path] = key
            }
        }
        return plan
    }

    // MARK: 1b. Hidden entries (`--reclaim-hidden`)

    /// Drops every hidden entry the strategy left alone; in a layer the strategy does not change, only when the
    /// saving reaches `minimumLayerSaving` (a new digest stops the layer being shared).
    private func dropHiddenEntries(_ plans: inout [LayerPlan], _ scans: [LayerScan]) {
        let hidden = HiddenEntries(scans)
        for layer in scans.indices {
            var plan = plans[layer]
            for index in hidden.indexes[layer] where plan.actions[index] == nil {
                plan.actions[index] = .drop(.hidden)
            }
            let saving = hidden.indexes[layer].reduce(Int64(0)) { $0 + scans[layer].entries[$1].size }
            if !plans[layer].isUnchanged || saving >= max(minimumLayerSaving, 1) { plans[layer] = plan }
        }
    }

    /// Drops the whiteouts (`.wh.NAME`) of changed layers that no longer hide anything: no lower layer keeps an
    /// entry at NAME or under it once the plans are applied.
    private func dropUselessWhiteouts(_ plans: inout [LayerPlan], _ scans: [LayerScan]) {
        // Every path a layer keeps after the rewrite, with all its ancestors: the paths a whiteout above could hide.
        var filledBelow: Set<ImagePath> = []
        for layer in scans.indices {
            let entries = scans[layer].entries
            if !plans[layer].isUnchanged {
                for (index, entry) in entries.enumerated() where plans[layer].actions[index] == nil {
                    guard case .remove(let path)? = Whiteout(entry.path), !filledBelow.contains(path) else { continue }
                    plans[layer].actions[index] = .drop(.hidden)
                }
            }
            for (index, entry) in entries.enumerated() where Whiteout(entry.path) == nil {
                let action = plans[layer].actions[index]
                var kept: [ImagePath] = action?.newPaths ?? []
                if !(action?.vacatesPath ?? false) && action != .absorbed { kept.append(entry.path) }
                for path in kept { Self.insertWithAncestors(path, into: &filledBelow) }
            }
            for addition in plans[layer].additions { Self.insertWithAncestors(addition.path, into: &filledBelow) }
        }
    }

    private static func insertWithAncestors(_ path: ImagePath, into set: inout Set<ImagePath>) {
        var current = path
        while !current.bytes.isEmpty, set.insert(current).inserted { current = current.parent }
    }

    // MARK: 2. Paths written twice in one layer

    private func keepLaterDuplicatePaths(_ plan: inout LayerPlan, _ scan: LayerScan) {
        var keptPaths: Set<ImagePath> = []
        for (index, entry) in scan.entries.enumerated() {
            switch plan.actions[index] {
            case .drop?:
                // Dropping this copy would let the layer's own earlier copy win on extraction.
                if keptPaths.contains(entry.path) { plan.actions[index] = nil } else { continue }
            default:
                break
            }
            keptPaths.insert(entry.path)
        }
    }

    // MARK: 3. Hardlinks inside a layer

    private func repairHardlinks(_ plan: inout LayerPlan, _ scan: LayerScan) {
        var latest: [ImagePath: Int] = [:]
        for (index, entry) in scan.entries.enumerated() {
            defer { latest[entry.path] = index }
            guard entry.kind == .hardlink, plan.actions[index] == nil, let target = entry.hardlinkTarget,
                let targetIndex = latest[target]
            else { continue }
            switch plan.actions[targetIndex] {
            case .drop(let category)?:
                if scan.entries[targetIndex].kind == .hardlink, let next = scan.entries[targetIndex].hardlinkTarget {
                    // The dropped target is itself a link: point past it.
                    plan.actions[index] = .retarget(to: next)
                } else {
                    plan.actions[targetIndex] = .materialize(as: entry.path, category: category)
                    plan.actions[index] = .absorbed
                    plan.dependentLinks[targetIndex, default: []].append(index)
                }
            case .materialize(let name, _)?, .move(let name)?:
                plan.actions[index] = .retarget(to: name)
                plan.dependentLinks[targetIndex, default: []].append(index)
            default:
                break
            }
        }
    }

    // MARK: 4. Hardlinks to lower layers

    private func keepLowerLinkTargets(_ plans: inout [LayerPlan], _ scans: [LayerScan]) {
        // Per layer, the index of the last entry for each path; built once, so each link is a lookup.
        let lastIndex = scans.map { scan in
            Dictionary(scan.entries.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { _, later in later })
        }
        for upper in scans.indices {
            var seen: Set<ImagePath> = []
            for (index, entry) in scans[upper].entries.enumerated() {
                defer { seen.insert(entry.path) }
                guard entry.kind == .hardlink, let target = entry.hardlinkTarget, !seen.contains(target),
                    removesPath(plans[upper].actions[index]) == false
                else { continue }
                // The target lives below: the layer that last wrote it must keep it.
                if let lower = (0..<upper).last(where: { lastIndex[$0][target] != nil }),
                    let targetIndex = lastIndex[lower][target]
                {
                    keep(targetIndex, in: &plans[lower])
                }
            }
        }
    }

    /// Undoes whatever removes an entry, including a materialization and the links that depended on it.
    private func keep(_ index: Int, in plan: inout LayerPlan) {
        if case .materialize? = plan.actions[index] {
            for link in plan.dependentLinks[index] ?? [] { plan.actions[link] = nil }
            plan.dependentLinks[index] = nil
        }
        if removesPath(plan.actions[index]) {
            plan.actions[index] = nil
            plan.hidesLowerCopy.remove(index)
        }
    }

    private func removesPath(_ action: EntryAction?) -> Bool {
        switch action {
        case .drop?, .materialize?, .absorbed?: true
        default: false
        }
    }

    // MARK: 5. Merged view

    private func hideLowerCopies(_ plans: inout [LayerPlan], _ scans: [LayerScan]) {
        var view = MergedView()
        for layer in scans.indices {
            let entries = scans[layer].entries
            for entry in entries {
                if let whiteout = Whiteout(entry.path) { view.record(whiteout, in: layer) }
            }
            // What this layer leaves at each path it writes: true if present after the rewrite.
            var written: [ImagePath: Bool] = [:]
            for (index, entry) in entries.enumerated() where Whiteout(entry.path) == nil && entry.kind != .directory {
                guard let action = plans[layer].actions[index] else {
                    written[entry.path] = true
                    continue
                }
                if action.vacatesPath {
                    if view.isVisible(entry.path, below: layer) {
                        plans[layer].hidesLowerCopy.insert(index)
                        view.record(.remove(entry.path), in: layer)
                    }
                    written[entry.path] = false
                } else if action != .absorbed {
                    written[entry.path] = true
                }
                for path in action.newPaths { written[path] = true }
            }
            for addition in plans[layer].additions { written[addition.path] = true }
            for (path, present) in written { view.recordWrite(path, present: present, in: layer) }
        }
    }

    // MARK: Config

    /// `drop-bytecode`'s `PYTHONDONTWRITEBYTECODE=1` (`plan` returns before this for an image without an
    /// interpreter, so an image whose only Python files are gcc's pretty-printers keeps its config).
    private func environment(_ scans: [LayerScan]) -> [String] {
        guard strategy == .dropBytecode else { return [] }
        let hasPython = scans.contains { scan in
            scan.entries.contains { $0.kind != .directory && Whiteout($0.path) == nil && PythonFile($0.path) != .other }
        }
        return hasPython ? ["PYTHONDONTWRITEBYTECODE=1"] : []
    }
}
