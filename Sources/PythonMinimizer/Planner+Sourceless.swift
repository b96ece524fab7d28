/// The `sourceless` strategy (PEP Option 2): for each importable module whose plain bytecode is present and valid for
/// its source, the bytecode moves beside where the source was, the source is dropped (or kept compressed in
/// `__pysources__`), and every `__pycache__` copy of the module goes. Decisions are taken on the image's merged view:
/// the source and bytecode that count are the ones visible at the top, wherever they live.
extension Planner {
    /// One module's conversion: every action it needs, in whichever layers.
    struct Conversion {
        var actions: [(layer: Int, index: Int, action: EntryAction)] = []
        /// Whether the bytecode is compiled by `--compile-with` rather than found in the image.
        var compiles = false
    }

    /// Plans the conversions and, when asked, the source hook; returns the plans and what happened to each source.
    func sourcelessPlans(_ scans: [LayerScan], context: ImageContext) -> ([LayerPlan], ModuleSummary) {
        let top = TopView(scans)
        var summary = ModuleSummary()
        var conversions: [Conversion] = []
        for source in top.visibleSources {
            switch conversion(of: source, in: scans, top: top, context: context) {
            case .success(let conversion):
                conversions.append(conversion)
            case .failure(let reason):
                summary.kept[reason.text, default: 0] += 1
            }
        }
        // Conversions touch disjoint entries (each module's own source and bytecode), so their order is immaterial.
        let accepted = dropConversionsInSmallLayers(conversions, scans)
        summary.compiled = accepted.filter(\.compiles).count
        if accepted.count < conversions.count {
            summary.kept["layer saves too little"] = conversions.count - accepted.count
        }
        summary.converted = accepted.count
        var plans = [LayerPlan](repeating: LayerPlan(), count: scans.count)
        for conversion in accepted {
            for (layer, index, action) in conversion.actions {
                plans[layer].actions[index] = action
                if case .materialize = action,
                    let link = conversion.actions.first(where: { $0.layer == layer && $0.action == .absorbed })
                {
                    plans[layer].dependentLinks[index, default: []].append(link.index)
                }
            }
        }
        markSourceDirectories(&plans, scans)
        if sourcelessOptions.sourceHook && summary.converted > 0, let topLayer = scans.indices.last {
            plans[topLayer].additions += hookFiles(top: top, scans: scans)
        }
        return (plans, summary)
    }

    /// Why a source stays as it is.
    struct KeepReason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    private func conversion(
        of source: TopView.Located, in scans: [LayerScan], top: TopView, context: ImageContext
    ) -> Result<Conversion, KeepReason> {
        let entry = scans[source.layer].entries[source.index]
        let path = entry.path
        guard PythonFile.isImportable(path) else {
            return .failure(KeepReason("not importable (outside Python trees)"))
        }
        guard !context.runPaths.contains(path) else { return .failure(KeepReason("run by path (Entrypoint/Cmd)")) }
        guard entry.metadata.permissions & 0o111 == 0 else { return .failure(KeepReason("executable script")) }
        if let pattern = sourcelessOptions.keepPatterns.lazy.map(GlobPattern.init).first(where: { $0.matches(path) }) {
            return .failure(KeepReason("--keep \(pattern.text)"))
        }
        guard entry.kind == .regular, !top.hardlinked.contains(path) else { return .failure(KeepReason("hardlinked")) }
        // A sparse file's data would be streamed hole by hole to move or compress it: kept as it is.
        guard !entry.isSparse else { return .failure(KeepReason("sparse file")) }

        let directory = path.parent
        let module = path.name.dropLast(3).text
        let cached = top.cachedBytecode(directory: directory, module: module)
        let plain = cached.filter { $0.optimization == 0 }
        let stem = path.name.dropLast(3)
        let beside = directory.appending(bytes: stem + Array(".pyc".utf8))
        // The hook reads sources from where `zpyPath` says; the planner writes them to the same place.
        guard let compressed = SourceHook.zpyPath(forSourcelessPyc: beside) else {
            return .failure(KeepReason("not importable (no module name)"))
        }
        guard let bytecode = plain.first else {
            guard let version = compileVersion, PythonFile.interpreterVersion(path) == version else {
                return .failure(KeepReason("no bytecode"))
            }
            guard entry.compiles else { return .failure(KeepReason("no bytecode, and it does not compile")) }
            guard !top.isVisible(beside) else { return .failure(KeepReason("a sourceless .pyc is already there")) }
            // Compiled at rewrite time: stale cached bytecode of another interpreter goes with the source.
            var conversion = Conversion(compiles: true)
            for copy in top.occurrences(ofCachedModule: module, in: directory) {
                conversion.actions.append((copy.layer, copy.index, .drop(.bytecode)))
            }
            for copy in top.occurrences(of: path) {
                conversion.actions.append((copy.layer, copy.index, .drop(.sources)))
            }
            conversion.set(
                source.layer, source.index,
                .compileSource(into: beside, sources: sourcelessOptions.keepSources ? compressed : nil))
            return .success(conversion)
        }
        guard Set(cached.map(\.tag)).count == 1 else {
            return .failure(KeepReason("bytecode for several interpreters"))
        }
        guard !top.isVisible(beside) else { return .failure(KeepReason("a sourceless .pyc is already there")) }

        // The bytecode's data: its own entry, or, for a hardlink, the earlier entry it links to in its layer.
        let bytecodeEntry = scans[bytecode.layer].entries[bytecode.index]
        var dataOwner = (layer: bytecode.layer, index: bytecode.index)
        if bytecodeEntry.kind == .hardlink {
            guard let target = bytecodeEntry.hardlinkTarget, target.parent == bytecode.path.parent,
                let targetIndex = scans[bytecode.layer].entries[..<bytecode.index].lastIndex(where: {
                    $0.path == target
                }),
                scans[bytecode.layer].entries[targetIndex].kind == .regular
            else { return .failure(KeepReason("bytecode is a hardlink outside its __pycache__")) }
            dataOwner = (bytecode.layer, targetIndex)
        } else if bytecodeEntry.kind != .regular {
            return .failure(KeepReason("bytecode is not a regular file"))
        }
        guard !top.linkedFromElsewhere(scans[dataOwner.layer].entries[dataOwner.index].path) else {
            return .failure(KeepReason("bytecode is hardlinked from outside its __pycache__"))
        }
        guard !scans[dataOwner.layer].entries[dataOwner.index].isSparse else {
            return .failure(KeepReason("sparse bytecode"))
        }
        let header = scans[dataOwner.layer].entries[dataOwner.index].pycHeaderBytes ?? []
        let facts = SourceFacts(mtime: entry.metadata.mtime, size: entry.size, hashes: entry.sourceHashes)
        if case .invalid(let rejection) = PycValidator.validate(header: header, cacheTag: bytecode.tag, source: facts) {
            return .failure(KeepReason(rejection.description))
        }

        var conversion = Conversion()
        // Every copy of the module's bytecode, in every layer, goes: what is visible moves, the rest is dropped.
        for copy in top.occurrences(ofCachedModule: module, in: directory) {
            let level = PythonFile(scans[copy.layer].entries[copy.index].path).optimizationLevel ?? 0
            conversion.actions.append((copy.layer, copy.index, .drop(level == 0 ? .bytecode : .optimizedBytecode)))
        }
        if dataOwner == (bytecode.layer, bytecode.index) {
            conversion.set(dataOwner.layer, dataOwner.index, .move(to: beside))
        } else {
            let category: SavingCategory = .bytecode
            conversion.set(dataOwner.layer, dataOwner.index, .materialize(as: beside, category: category))
            conversion.set(bytecode.layer, bytecode.index, .absorbed)
        }
        // Every copy of the source goes too; the visible one becomes the compressed copy.
        for copy in top.occurrences(of: path) {
            conversion.actions.append((copy.layer, copy.index, .drop(.sources)))
        }
        if sourcelessOptions.keepSources {
            conversion.set(source.layer, source.index, .compressSource(into: compressed))
        }
        return .success(conversion)
    }

    /// Drops the conversions touching layers that would save less than the minimum, until none does: a conversion
    /// is all or nothing, since half of one (a source dropped, its bytecode not moved) would break the module.
    private func dropConversionsInSmallLayers(_ conversions: [Conversion], _ scans: [LayerScan]) -> [Conversion] {
        var accepted = conversions
        while minimumLayerSaving > 0 {
            var saving = [Int64](repeating: 0, count: scans.count)
            var touched = Set<Int>()
            for conversion in accepted {
                for (layer, index, action) in conversion.actions {
                    touched.insert(layer)
                    saving[layer] += action.saving(entrySize: scans[layer].entries[index].size)?.bytes ?? 0
                }
            }
            let small = touched.filter { saving[$0] < minimumLayerSaving }
            guard !small.isEmpty else { break }
            accepted.removeAll { conversion in conversion.actions.contains { small.contains($0.layer) } }
        }
        return accepted
    }

    /// Marks, per layer, the first compressed source of each `__pysources__` directory to carry the directory entry.
    private func markSourceDirectories(_ plans: inout [LayerPlan], _ scans: [LayerScan]) {
        for layer in plans.indices {
            var created: Set<ImagePath> = []
            for index in plans[layer].actions.keys.sorted() {
                guard let path = plans[layer].actions[index]?.compressedSourcePath else { continue }
                if created.insert(path.parent).inserted { plans[layer].createsSourceDirectory.insert(index) }
            }
        }
    }

    /// The hook's `.pth` and module in every site-packages directory of the image.
    private func hookFiles(top: TopView, scans: [LayerScan]) -> [AddedFile] {
        let newest = scans.flatMap(\.entries).map(\.metadata.mtime).max() ?? 0
        let metadata = EntryMetadata(permissions: 0o644, mtime: newest)
        return top.sitePackagesDirectories.flatMap { directory in
            [
                AddedFile(
                    path: directory.appending(SourceHook.pthFileName), data: SourceHook.pthContents, metadata: metadata),
                AddedFile(
                    path: directory.appending(SourceHook.moduleFileName), data: SourceHook.moduleSource,
                    metadata: metadata),
            ]
        }
    }
}

extension Planner.Conversion {
    /// Sets the action of an entry, replacing any earlier one for it.
    mutating func set(_ layer: Int, _ index: Int, _ action: EntryAction) {
        actions.removeAll { $0.layer == layer && $0.index == index }
        actions.append((layer, index, action))
    }
}

extension PythonFile {
    /// The optimization level of cached bytecode.
    var optimizationLevel: Int? {
        guard case .cachedBytecode(_, _, let level) = self else { return nil }
        return level
    }
}
