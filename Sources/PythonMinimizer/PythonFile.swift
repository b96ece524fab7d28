/// What a path is to Python, decided from its name alone.
public enum PythonFile: Equatable, Sendable {
    /// Bytecode in a `__pycache__` directory: `NAME.TAG[.opt-N].pyc`.
    case cachedBytecode(module: String, tag: String, optimization: Int)
    /// A `.pyc` beside where its source would be (sourceless bytecode); it *is* the module.
    case sourcelessBytecode
    /// Python source.
    case source
    /// Anything else.
    case other

    /// Classifies a path.
    public init(_ path: ImagePath) {
        let name = path.name
        if name.hasSuffix(".pyc") {
            let parent = path.parent.name
            guard parent.elementsEqual("__pycache__".utf8) else {
                self = .sourcelessBytecode
                return
            }
            // NAME.TAG.pyc or NAME.TAG.opt-N.pyc; NAME itself may contain dots only in odd cases, so split from the end.
            let parts = name.dropLast(4).split(separator: 0x2e, omittingEmptySubsequences: false)
            if parts.count >= 3, parts[parts.count - 1].hasPrefix("opt-"),
                let level = Int(parts[parts.count - 1].dropFirst(4).text)
            {
                self = .cachedBytecode(
                    module: parts[..<(parts.count - 2)].map(\.text).joined(separator: "."),
                    tag: parts[parts.count - 2].text, optimization: level
                )
            } else if parts.count >= 2 {
                self = .cachedBytecode(
                    module: parts[..<(parts.count - 1)].map(\.text).joined(separator: "."),
                    tag: parts[parts.count - 1].text, optimization: 0
                )
            } else {
                self = .cachedBytecode(module: parts.first?.text ?? "", tag: "", optimization: 0)
            }
        } else if name.hasSuffix(".py") {
            self = .source
        } else {
            self = .other
        }
    }

    /// Whether the file holds bytecode (cached or sourceless).
    public var isBytecode: Bool {
        switch self {
        case .cachedBytecode, .sourcelessBytecode: true
        case .source, .other: false
        }
    }

    /// Sources larger than this are never read into memory: not hashed (so not converted when their bytecode is
    /// hash-based), compressed or compiled; they are kept as they are.
    public static let largestSourceInMemory: Int64 = 64 << 20

    /// Whether a path lies in a Python tree: an interpreter's library (`lib/python3.11`, `lib/python3`),
    /// `site-packages`, `dist-packages`, or a `__pycache__`; or is Python source or bytecode itself.
    public static func isInPythonTree(_ path: ImagePath) -> Bool {
        PythonFile(path) != .other || hasPythonDirectory(path.components, alsoCache: true)
    }

    /// Whether a path lies where Python imports from: an interpreter's library (`lib/python3.11/…`) or a
    /// `site-packages`/`dist-packages` directory. Sources elsewhere may be run by path and are left alone.
    public static func isImportable(_ path: ImagePath) -> Bool {
        hasPythonDirectory(path.components.dropLast(), alsoCache: false)
    }

    /// Whether some component is `site-packages`, `dist-packages`, `lib/pythonX[.Y]` (or `__pycache__` when asked).
    private static func hasPythonDirectory(_ components: some Collection<ArraySlice<UInt8>>, alsoCache: Bool) -> Bool {
        var previous: ArraySlice<UInt8>?
        for component in components {
            if component.elementsEqual("site-packages".utf8) || component.elementsEqual("dist-packages".utf8)
                || (alsoCache && component.elementsEqual("__pycache__".utf8))
            {
                return true
            }
            if let previous, previous.elementsEqual("lib".utf8) || previous.elementsEqual("lib64".utf8),
                isInterpreterDirectory(component)
            {
                return true
            }
            previous = component
        }
        return false
    }

    /// The directory holding an interpreter's site packages, when `path` is one: `…/lib/python3.11/site-packages`,
    /// `…/lib/python3/dist-packages`, `…/lib/python3.11/dist-packages`.
    public static func isSitePackagesDirectory(_ path: ImagePath) -> Bool {
        let components = path.components
        guard components.count >= 3, let last = components.last,
            last.elementsEqual("site-packages".utf8) || last.elementsEqual("dist-packages".utf8)
        else { return false }
        let lib = components[components.count - 3]
        return (lib.elementsEqual("lib".utf8) || lib.elementsEqual("lib64".utf8))
            && isInterpreterDirectory(components[components.count - 2])
    }

    /// The interpreter version a path belongs to, from its `lib/pythonX.Y` directory: "3.11"; nil for
    /// version-less trees (`lib/python3/dist-packages`) and paths outside interpreters' libraries.
    public static func interpreterVersion(_ path: ImagePath) -> String? {
        var previous: ArraySlice<UInt8>?
        for component in path.components.dropLast() {
            if let previous, previous.elementsEqual("lib".utf8) || previous.elementsEqual("lib64".utf8),
                isInterpreterDirectory(component), component.contains(0x2e)
            {
                return String(component.dropFirst(6).text)
            }
            previous = component
        }
        return nil
    }

    /// Whether `path` is an interpreter's executable (or a link to one): `…/bin/python`, `…/bin/python3`,
    /// `…/bin/python3.11` — CPython's installed names, in a system or a virtual environment.
    public static func isInterpreterExecutable(_ path: ImagePath) -> Bool {
        let components = path.components
        guard components.count >= 2, components[components.count - 2].elementsEqual("bin".utf8) else { return false }
        let name = components[components.count - 1]
        return name.elementsEqual("python".utf8) || isInterpreterDirectory(name)
    }

    /// `python3`, `python3.11`, `python2.7`.
    private static func isInterpreterDirectory(_ name: ArraySlice<UInt8>) -> Bool {
        guard name.hasPrefix("python") else { return false }
        let version = name.dropFirst(6)
        return !version.isEmpty && version.allSatisfy { (0x30...0x39).contains($0) || $0 == 0x2e }
    }
}
