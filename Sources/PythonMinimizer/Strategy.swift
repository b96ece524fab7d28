/// How Python trees are minimized (see the PEP draft "Python minimization" and Fedora's practice).
public enum Strategy: String, CaseIterable, Sendable, Codable {
    /// Fedora's approach: identical files in Python trees stored once, as hardlinks. Nothing visible changes.
    case dedup
    /// Remove `.opt-1.pyc` and `.opt-2.pyc`; `python -O` then runs plain bytecode.
    case dropOptimized = "drop-optimized"
    /// PEP Option 1: remove all `__pycache__` bytecode, mark each such `__pycache__` with `__dont_write_bytecode__`
    /// and set `PYTHONDONTWRITEBYTECODE=1`, so imports compile from source every time.
    case dropBytecode = "drop-bytecode"
    /// PEP Option 2: ship each module's validated plain bytecode as a sourceless `name.pyc` where `name.py` was, drop
    /// the `.py` and its `__pycache__` copies, keep the source compressed in `__pysources__/name.zpy`.
    case sourceless

    /// Whether the scanner must hash file contents for this strategy.
    public var needsContentDigests: Bool { self == .dedup }

    /// Whether the scanner must compute CPython source hashes of `.py` files (to validate hash-based bytecode).
    public var needsSourceHashes: Bool { self == .sourceless }
}

/// What the `sourceless` strategy does besides converting modules.
public struct SourcelessOptions: Hashable, Sendable {
    /// Keep compressed sources in `__pysources__` (true) or drop them.
    public var keepSources: Bool
    /// Add the startup hook that lets tracebacks and `inspect` read `__pysources__`.
    public var sourceHook: Bool
    /// Glob patterns (`*`, `?`, `**`) of sources never converted, matched against the path with a leading `/`.
    public var keepPatterns: [String]
    /// Makes options.
    public init(
        keepSources: Bool = true, sourceHook: Bool = false, keepPatterns: [String] = []
    ) {
        self.keepSources = keepSources
        self.sourceHook = sourceHook
        self.keepPatterns = keepPatterns
    }
}

/// Facts about one image that planning needs beyond its layers.
public struct ImageContext: Hashable, Sendable {
    /// Files the image runs by path (its `Entrypoint` and `Cmd` arguments that are absolute paths).
    public var runPaths: Set<ImagePath>
    /// The lowest layers left exactly as they are (`--keep-layers`, `--keep-layers-of`).
    public var keepLayers = 0

    /// Makes a context.
    public init(runPaths: Set<ImagePath> = []) { self.runPaths = runPaths }

    /// The absolute-path arguments of an image's Entrypoint and Cmd.
    public init(entrypoint: [String]?, cmd: [String]?) {
        let arguments = (entrypoint ?? []) + (cmd ?? [])
        runPaths = Set(arguments.filter { $0.hasPrefix("/") }.map { ImagePath($0) })
    }
}

/// The PEP's marker file name, placed in each `__pycache__` whose bytecode was removed.
public let dontWriteBytecodeMarker = "__dont_write_bytecode__"
