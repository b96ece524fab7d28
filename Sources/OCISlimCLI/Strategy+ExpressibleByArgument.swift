import ArgumentParser
import PythonMinimizer

/// `--strategy` takes the library's `Strategy` by its raw value (`drop-bytecode`); `--help` lists each with what it
/// does and what it costs.
extension Strategy: ExpressibleByArgument {
    public static var allValueDescriptions: [String: String] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.helpText) })
    }

    /// What the strategy does to an image and what that costs, in the user's terms.
    var helpText: String {
        switch self {
        case .dedup:
            """
            identical files in Python trees (e.g. .pyc files of several optimization levels) are stored once, as \
            hardlinks. Nothing Python sees changes; saves most on Fedora-style images.
            """
        case .dropOptimized:
            """
            remove .opt-1.pyc and .opt-2.pyc. Normal runs are unaffected; `python -O` runs plain bytecode instead.
            """
        case .dropBytecode:
            """
            PEP draft Option 1: remove all __pycache__ bytecode, add a __dont_write_bytecode__ marker to each such \
            __pycache__ and PYTHONDONTWRITEBYTECODE=1 to the config. Smallest, but every import compiles from source: \
            imports get several times slower.
            """
        case .sourceless:
            """
            PEP draft Option 2: each importable module whose plain bytecode is valid for its source (magic, mtime and \
            size, or source hash) ships as NAME.pyc where NAME.py was; the .py and its __pycache__ copies go; the \
            source stays gzip-compressed in __pysources__/NAME.zpy (--sources drop removes it). Imports cost nothing \
            extra; tracebacks show no source lines unless --source-hook.
            """
        }
    }
}
