/// How Python trees are minimized (see the PEP draft "Python minimization" and Fedora's practice).
public enum Strategy: String, CaseIterable, Sendable, Codable {
    /// Fedora's approach: identical files in Python trees stored once, as hardlinks. Nothing visible changes.
    case dedup
    /// Remove `.opt-1.pyc` and `.opt-2.pyc`; `python -O` then runs plain bytecode.
    case dropOptimized = "drop-optimized"
    /// PEP Option 1: remove all `__pycache__` bytecode, mark each such `__pycache__` with `__dont_write_bytecode__`
    /// and set `PYTHONDONTWRITEBYTECODE=1`, so imports compile from source every time.
    case dropBytecode = "drop-bytecode"

    /// Whether the scanner must hash file contents for this strategy.
    public var needsContentDigests: Bool { self == .dedup }
}

/// The PEP's marker file name, placed in each `__pycache__` whose bytecode was removed.
public let dontWriteBytecodeMarker = "__dont_write_bytecode__"
