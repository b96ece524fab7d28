import Foundation
import PythonMinimizer
import TestSupport
import Testing

@Suite struct SourceHookTests {
    // MARK: Names and paths

    @Test func pthImportsTheModule() {
        #expect(SourceHook.pthFileName == "ocislim-sources.pth")
        #expect(SourceHook.moduleFileName == "_ocislim_sources.py")
        #expect(String(decoding: SourceHook.pthContents, as: UTF8.self) == "import _ocislim_sources\n")
        #expect(SourceHook.sourcesDirectoryName == "__pysources__")
    }

    @Test(arguments: [("name.py", "name.zpy"), ("__init__.py", "__init__.zpy"), ("m.pyc", "m.zpy"), ("x.y", "x.y.zpy")])
    func zpyNames(module: String, expected: String) {
        #expect(SourceHook.zpyName(forModuleFile: module) == expected)
    }

    @Test(arguments: [
        ("usr/lib/python3.11/json/decoder.pyc", "usr/lib/python3.11/json/__pysources__/decoder.zpy"),
        ("app/pkg/__init__.pyc", "app/pkg/__pysources__/__init__.zpy"),
        ("top.pyc", "__pysources__/top.zpy"),
    ])
    func zpyPaths(pyc: String, expected: String) {
        #expect(SourceHook.zpyPath(forSourcelessPyc: ImagePath(pyc)) == ImagePath(expected))
    }

    @Test func zpyPathKeepsNonUTF8Names() throws {
        let pyc = ImagePath(tarName: Array("lib/".utf8) + [0xff, 0xfe] + Array(".pyc".utf8))
        let zpy = try #require(SourceHook.zpyPath(forSourcelessPyc: pyc))
        #expect(zpy.bytes == Array("lib/__pysources__/".utf8) + [0xff, 0xfe] + Array(".zpy".utf8))
    }

    @Test(arguments: ["app/m.py", "app/.pyc", "app/__pycache__"])
    func zpyPathNeedsAPyc(path: String) {
        #expect(SourceHook.zpyPath(forSourcelessPyc: ImagePath(path)) == nil)
    }

    @Test func moduleSourceIsDocumentedUTF8() {
        let source = String(decoding: SourceHook.moduleSource, as: UTF8.self)
        #expect(Array(source.utf8) == SourceHook.moduleSource)
        #expect(source.hasPrefix("\"\"\"Show source lines for sourceless modules"))
        #expect(source.contains("To remove it, delete `ocislim-sources.pth` and `_ocislim_sources.py`"))
    }

    // MARK: A real sourceless module under every available CPython

    @Test(arguments: Interpreter.available)
    func uncaughtExceptionShowsSourceLine(python: Interpreter) throws {
        let fixture = try Fixture(python)
        let run = try fixture.run("pkg.mod.fail()")
        #expect(run.status == 1)
        #expect(run.stderr.contains("mod.py\", line 4, in fail\n    \(Fixture.raiseLine)\n"))
        #expect(run.stderr.hasSuffix("ValueError: boom\n"))
    }

    @Test(arguments: Interpreter.available)
    func withoutHookTheLineIsMissing(python: Interpreter) throws {
        let fixture = try Fixture(python)
        // The control: the other tests would fail without the hook.
        let run = try fixture.run("pkg.mod.fail()", hook: false)
        #expect(run.status == 1)
        #expect(run.stderr.contains("mod.py\", line 4, in fail\n"))
        #expect(!run.stderr.contains("raise ValueError"))
        #expect(run.stderr.hasSuffix("ValueError: boom\n"))
    }

    @Test(arguments: Interpreter.available)
    func formatExcShowsSourceLine(python: Interpreter) throws {
        let fixture = try Fixture(python)
        let run = try fixture.run(
            """
            try:
                pkg.mod.fail()
            except ValueError:
                import traceback
                sys.stdout.write(traceback.format_exc())
            """)
        #expect(run.status == 0)
        #expect(run.stdout.contains("mod.py\", line 4, in fail\n    \(Fixture.raiseLine)\n"))
        #expect(run.stdout.hasSuffix("ValueError: boom\n"))
        #expect(run.stderr == "")
    }

    @Test(arguments: Interpreter.available)
    func inspectFindsTheFunction(python: Interpreter) throws {
        let fixture = try Fixture(python)
        let run = try fixture.run("import inspect; sys.stdout.write(inspect.getsource(pkg.mod.fail))")
        #expect(run.status == 0)
        #expect(run.stdout == Fixture.failFunction)
        #expect(run.stderr == "")
    }

    @Test(arguments: Interpreter.available)
    func missingSourceFallsBack(python: Interpreter) throws {
        let fixture = try Fixture(python)
        try FileManager.default.removeItem(at: fixture.zpy)
        try expectStockBehaviour(fixture)
    }

    @Test(arguments: Interpreter.available)
    func corruptSourceFallsBack(python: Interpreter) throws {
        let fixture = try Fixture(python)
        try Data("not gzip".utf8).write(to: fixture.zpy)
        try expectStockBehaviour(fixture)
    }

    /// Without a usable `.zpy`: `get_source` answers None as stock CPython does, tracebacks print without a line.
    func expectStockBehaviour(_ fixture: Fixture) throws {
        let source = try fixture.run("print(repr(pkg.mod.__loader__.get_source('pkg.mod')))")
        #expect(source.stdout == "None\n")
        #expect(source.stderr == "")
        let run = try fixture.run("pkg.mod.fail()")
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("Traceback (most recent call last):\n"))
        #expect(run.stderr.contains("mod.py\", line 4, in fail\nValueError: boom\n"))
    }

    @Test(arguments: Interpreter.available)
    func importingTwiceIsHarmless(python: Interpreter) throws {
        let fixture = try Fixture(python)
        try Data(SourceHook.pthContents).write(to: fixture.site.appendingPathComponent("zz-again.pth"))
        let run = try fixture.run(
            """
            import importlib, importlib.machinery, _ocislim_sources
            importlib.reload(_ocislim_sources)
            site.addsitedir(sys.argv[1])
            print(importlib.machinery.SourcelessFileLoader.get_source.ocislim_original.__qualname__)
            pkg.mod.fail()
            """)
        #expect(run.status == 1)
        #expect(run.stdout == "SourcelessFileLoader.get_source\n")
        #expect(run.stderr.components(separatedBy: Fixture.raiseLine).count == 2)
        #expect(run.stderr.hasSuffix("ValueError: boom\n"))
    }

    @Test(arguments: Interpreter.available)
    func applicationHookIsKept(python: Interpreter) throws {
        let fixture = try Fixture(python)
        let run = try fixture.run(
            "pkg.mod.fail()",
            before: "sys.excepthook = lambda kind, value, tb: sys.stderr.write('app hook: %s\\n' % value)"
        )
        #expect(run.status == 1)
        #expect(run.stderr == "app hook: boom\n")
    }

    @Test(arguments: Interpreter.available)
    func failedInstallLeavesPythonUsable(python: Interpreter) throws {
        let fixture = try Fixture(python)
        // A None entry makes the hook's first import fail, as a broken interpreter would.
        let run = try fixture.run("print(pkg.mod.__name__)", before: "sys.modules['_frozen_importlib_external'] = None")
        #expect(run.status == 0)
        #expect(run.stdout == "pkg.mod\n")
        #expect(run.stderr == "")
    }

    @Test(arguments: Interpreter.available)
    func anUncaughtKeyboardInterruptStillEndsThePythonBySIGINT(python: Interpreter) throws {
        let fixture = try Fixture(python)
        let run = try fixture.run("raise KeyboardInterrupt")
        // CPython re-raises SIGINT, or exits 130 (128 + SIGINT) where it cannot; with the bug it exited 1.
        let interrupted = run.killedBySignal ? run.status == SIGINT : run.status == 128 + SIGINT
        #expect(interrupted, "exit \(run.status), stderr: \(run.stderr)")
    }

    @Test(arguments: Interpreter.available)
    func startupImportsOnlyTheHook(python: Interpreter) throws {
        let fixture = try Fixture(python)
        let run = try fixture.run(
            "print(sorted(name for name in set(sys.modules) - loaded if not name.startswith('pkg')))",
            before: "loaded = set(sys.modules)"
        )
        #expect(run.stdout == "['_ocislim_sources']\n")
        #expect(run.stderr == "")
    }
}

/// A CPython to run the hook under: `python3` from `PATH`, and pyenv's 3.8–3.14 where installed.
struct Interpreter: CustomStringConvertible, Sendable {
    /// What the test names it.
    let description: String
    /// The program and the arguments that start it.
    let command: [String]

    static let available: [Interpreter] = {
        var found = [Interpreter(description: "python3", command: ["/usr/bin/env", "python3"])]
        let versions = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".pyenv/versions")
        let installed = ((try? FileManager.default.contentsOfDirectory(atPath: versions.path)) ?? []).sorted()
        for minor in 8...14 {
            guard let version = installed.last(where: { $0.hasPrefix("3.\(minor).") }) else { continue }
            let python = versions.appendingPathComponent(version).appendingPathComponent("bin/python").path
            if FileManager.default.isExecutableFile(atPath: python) {
                found.append(Interpreter(description: "CPython \(version)", command: [python]))
            }
        }
        return found
    }()
}

/// A temp tree with a sourceless `pkg/mod.pyc`, its `pkg/__pysources__/mod.zpy`, and the hook in `site/`.
final class Fixture {
    /// The line the traceback must show.
    static let raiseLine = #"raise ValueError("boom")  # the line to show"#
    /// The function `inspect.getsource` must return; non-ASCII so decoding is exercised.
    static let failFunction = """
        def fail():
            \"\"\"Raise – on purpose, for the traceback.\"\"\"
            \(raiseLine)

        """
    static let moduleText = "# A module whose source only survives compressed.\n\(failFunction)"

    let python: Interpreter
    let root: URL
    let tree: URL
    let site: URL
    var zpy: URL { tree.appendingPathComponent("pkg/__pysources__/mod.zpy") }

    /// Compiles the module with `python` itself (bytecode is version-specific), then removes the `.py`.
    init(_ python: Interpreter) throws {
        self.python = python
        let manager = FileManager.default
        root = manager.temporaryDirectory.appendingPathComponent("ocislim-hook-\(UUID().uuidString)")
        tree = root.appendingPathComponent("tree")
        site = root.appendingPathComponent("site")
        let package = tree.appendingPathComponent("pkg")
        try manager.createDirectory(
            at: package.appendingPathComponent("__pysources__"), withIntermediateDirectories: true
        )
        try manager.createDirectory(at: site, withIntermediateDirectories: true)
        try Data().write(to: package.appendingPathComponent("__init__.py"))
        try Data(Self.moduleText.utf8).write(to: package.appendingPathComponent("mod.py"))
        try Data(SourceHook.moduleSource).write(to: site.appendingPathComponent(SourceHook.moduleFileName))
        try Data(SourceHook.pthContents).write(to: site.appendingPathComponent(SourceHook.pthFileName))
        // dfile is the .py's final path, so co_filename names the removed file as it would in an image.
        let compile = try Self.execute(
            python,
            arguments: [
                "-c",
                """
                import gzip, os, py_compile, sys
                src = sys.argv[1]
                py_compile.compile(src, cfile=src + "c", dfile=src, doraise=True)
                data = open(src, "rb").read()
                open(sys.argv[2], "wb").write(gzip.compress(data, mtime=0))
                os.remove(src)
                """, package.appendingPathComponent("mod.py").path, zpy.path,
            ], in: root)
        try #require(compile.status == 0, "\(compile.stderr)")
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Runs `code` after importing `pkg.mod`; `sys.argv[1]` is the site dir, added (running the .pth) when `hook`.
    func run(_ code: String, hook: Bool = true, before: String = "") throws -> Execution {
        let program = """
            import site, sys
            \(before)
            \(hook ? "site.addsitedir(sys.argv[1])" : "")
            sys.path.insert(0, sys.argv[2])
            import pkg.mod
            \(code)
            """
        return try Self.execute(python, arguments: ["-B", "-c", program, site.path, tree.path], in: root)
    }

    static func execute(_ python: Interpreter, arguments: [String], in directory: URL) throws -> Execution {
        var environment = ProcessInfo.processInfo.environment
        // The child must not inherit paths, startup code or colours that change what it prints.
        let inherited = ["PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONWARNINGS", "PYTHON_COLORS", "FORCE_COLOR"]
        for name in inherited { environment[name] = nil }
        environment["PYTHONUTF8"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        let run = try Tool.run(python.command + arguments, environment: environment, in: directory)
        return Execution(
            status: run.status, killedBySignal: run.killedBySignal, stdout: run.text, stderr: run.errors
        )
    }
}

/// What a finished interpreter left behind.
struct Execution {
    /// The exit status, or the signal's number when `killedBySignal`.
    let status: Int32
    let killedBySignal: Bool
    let stdout: String
    let stderr: String
}
