/// The image's filesystem as the top layer sees it, before any rewrite: which entry provides each visible path,
/// and where every copy of a path lives.
struct TopView {
    /// An entry's place: its layer and its index in that layer.
    struct Located: Hashable {
        let layer: Int
        let index: Int
    }

    /// Cached bytecode of one module.
    struct Bytecode {
        let path: ImagePath
        let tag: String
        let optimization: Int
        let layer: Int
        let index: Int
    }

    private var view = MergedView()
    private var latest: [ImagePath: Located] = [:]
    private var copies: [ImagePath: [Located]] = [:]
    /// Cached bytecode by (directory holding `__pycache__`, module name).
    private var cached: [ImagePath: [String: [ImagePath]]] = [:]
    private var linkTargets: [ImagePath: [ImagePath]] = [:]
    private let layerCount: Int
    private let scans: [LayerScan]

    init(_ scans: [LayerScan]) {
        self.scans = scans
        layerCount = scans.count
        for (layer, scan) in scans.enumerated() {
            for entry in scan.entries {
                if let whiteout = Whiteout(entry.path) { view.record(whiteout, in: layer) }
            }
            for (index, entry) in scan.entries.enumerated()
            where Whiteout(entry.path) == nil && entry.kind != .directory {
                view.recordWrite(entry.path, present: true, in: layer)
                latest[entry.path] = Located(layer: layer, index: index)
                copies[entry.path, default: []].append(Located(layer: layer, index: index))
                if case .cachedBytecode(let module, _, _) = PythonFile(entry.path) {
                    let owner = entry.path.parent.parent
                    if cached[owner, default: [:]][module]?.contains(entry.path) != true {
                        cached[owner, default: [:]][module, default: []].append(entry.path)
                    }
                }
                if entry.kind == .hardlink, let target = entry.hardlinkTarget {
                    linkTargets[target, default: []].append(entry.path)
                }
            }
        }
    }

    /// Whether `path` is present at the top.
    func isVisible(_ path: ImagePath) -> Bool { latest[path] != nil && view.isVisible(path, below: layerCount) }

    /// Whether a Python interpreter's executable is present at the top.
    var hasInterpreter: Bool {
        latest.keys.contains { PythonFile.isInterpreterExecutable($0) && isVisible($0) }
    }

    /// The visible `.py` files, in path order.
    var visibleSources: [Located] {
        latest.filter { PythonFile($0.key) == .source && isVisible($0.key) }.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Paths that are hardlinks or hardlink targets.
    var hardlinked: Set<ImagePath> {
        Set(linkTargets.keys).union(linkTargets.values.joined())
    }

    /// Whether a link from outside the file's own `__pycache__` points at it.
    func linkedFromElsewhere(_ path: ImagePath) -> Bool {
        (linkTargets[path] ?? []).contains { $0.parent != path.parent }
    }

    /// The visible cached bytecode of `module` in `directory/__pycache__`.
    func cachedBytecode(directory: ImagePath, module: String) -> [Bytecode] {
        (cached[directory]?[module] ?? []).compactMap { path in
            guard isVisible(path), let place = latest[path],
                case .cachedBytecode(_, let tag, let level) = PythonFile(path)
            else { return nil }
            return Bytecode(path: path, tag: tag, optimization: level, layer: place.layer, index: place.index)
        }
    }

    /// Every entry, in any layer, holding cached bytecode of `module` in `directory/__pycache__`.
    func occurrences(ofCachedModule module: String, in directory: ImagePath) -> [Located] {
        (cached[directory]?[module] ?? []).flatMap { copies[$0] ?? [] }
    }

    /// Every entry, in any layer, at `path`.
    func occurrences(of path: ImagePath) -> [Located] { copies[path] ?? [] }

    /// The visible site-packages and dist-packages directories of interpreters, in path order.
    var sitePackagesDirectories: [ImagePath] {
        var found: Set<ImagePath> = []
        for path in latest.keys where isVisible(path) {
            var directory = path.parent
            while !directory.bytes.isEmpty {
                if PythonFile.isSitePackagesDirectory(directory) {
                    found.insert(directory)
                    break
                }
                directory = directory.parent
            }
        }
        return found.sorted()
    }
}
