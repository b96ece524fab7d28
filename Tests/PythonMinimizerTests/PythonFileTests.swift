import Foundation
import PythonMinimizer
import TestSupport
import Testing

@Suite struct PythonFileTests {
    @Test(arguments: [
        (
            "usr/lib/python3.11/__pycache__/os.cpython-311.pyc",
            PythonFile.cachedBytecode(module: "os", tag: "cpython-311", optimization: 0)
        ),
        (
            "usr/lib/python3.11/__pycache__/os.cpython-311.opt-1.pyc",
            .cachedBytecode(module: "os", tag: "cpython-311", optimization: 1)
        ),
        (
            "a/__pycache__/x.y.cpython-312.opt-2.pyc",
            .cachedBytecode(module: "x.y", tag: "cpython-312", optimization: 2)
        ),
        ("a/__pycache__/m.pypy39.pyc", .cachedBytecode(module: "m", tag: "pypy39", optimization: 0)),
        ("app/m.pyc", .sourcelessBytecode),
        ("app/m.py", .source),
        ("app/m.pyi", .other),
        ("app/__pycache__/notes.txt", .other),
    ])
    func classifiesNames(path: String, expected: PythonFile) {
        #expect(PythonFile(ImagePath(path)) == expected)
    }

    @Test(arguments: [
        ("usr/lib/python3.11/json/decoder.so", true),
        ("usr/lib/python3/dist-packages/yaml/data.txt", true),
        ("opt/venv/lib/python3.12/site-packages/x/LICENSE", true),
        ("usr/local/lib64/python3.9/config", true),
        ("usr/share/doc/python3/copyright", false),
        ("usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", false),
        ("usr/lib/pythonista/x", false),
        ("etc/motd", false),
    ])
    func knowsPythonTrees(path: String, inside: Bool) {
        #expect(PythonFile.isInPythonTree(ImagePath(path)) == inside)
    }

    @Test(arguments: [
        ("./usr/lib/", "usr/lib"), ("/etc/passwd", "etc/passwd"), ("usr", "usr"), ("./", ""), ("././a//", "a"),
    ])
    func normalizesTarNames(name: String, normalized: String) {
        #expect(ImagePath(name).description == normalized)
    }

    @Test func whiteouts() {
        #expect(Whiteout(ImagePath("a/b/.wh.c.pyc")) == .remove(ImagePath("a/b/c.pyc")))
        #expect(Whiteout(ImagePath(".wh.top")) == .remove(ImagePath("top")))
        #expect(Whiteout(ImagePath("a/.wh..wh..opq")) == .opaque(directory: ImagePath("a")))
        #expect(Whiteout(ImagePath("a/wh.c")) == nil)
        #expect(Whiteout.entryPath(hiding: ImagePath("a/b/c.pyc")) == ImagePath("a/b/.wh.c.pyc"))
    }
}

@Suite struct PycHeaderTests {
    /// Bytecode compiled by the host CPython in each PEP 552 invalidation mode.
    static func compile(_ mode: String) throws -> [UInt8] {
        let program = """
            import py_compile, sys, tempfile, os
            d = tempfile.mkdtemp(); src = os.path.join(d, "m.py"); open(src, "w").write("X = 1\\n")
            os.utime(src, (1700000000, 1700000000))
            out = py_compile.compile(src, cfile=src + "c", doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode[sys.argv[1]])
            sys.stdout.buffer.write(open(out, "rb").read())
            """
        return try Tool.output(["python3", "-c", program, mode])
    }

    static func hostMagic() throws -> UInt16 {
        let header = try compile("TIMESTAMP")
        return UInt16(header[0]) | UInt16(header[1]) << 8
    }

    @Test func timestampBytecode() throws {
        let header = try #require(PycHeader(try Self.compile("TIMESTAMP")))
        #expect(header.validation == .timestamp(mtime: 1_700_000_000, sourceSize: 6))
        #expect(header.pythonVersion != nil)
    }

    @Test func checkedAndUncheckedHashBytecode() throws {
        guard case .checkedHash(let checked)? = PycHeader(try Self.compile("CHECKED_HASH"))?.validation else {
            Issue.record("not a checked-hash pyc")
            return
        }
        guard case .uncheckedHash(let unchecked)? = PycHeader(try Self.compile("UNCHECKED_HASH"))?.validation else {
            Issue.record("not an unchecked-hash pyc")
            return
        }
        #expect(checked == unchecked && checked.count == 8)
    }

    @Test(arguments: [
        (UInt16(3379), "3.6"), (3394, "3.7"), (3413, "3.8"), (3425, "3.9"), (3439, "3.10"), (3495, "3.11"),
        (3531, "3.12"), (3571, "3.13"),
    ])
    func knowsReleasedMagicNumbers(magic: UInt16, version: String) {
        let bytes = [UInt8(magic & 0xff), UInt8(magic >> 8), 0x0d, 0x0a] + [UInt8](repeating: 0, count: 12)
        #expect(PycHeader(bytes)?.pythonVersion == version)
    }

    @Test func rejectsWhatIsNotBytecode() {
        #expect(PycHeader(Array("print('hello')\n".utf8)) == nil)
        #expect(PycHeader([0xa7, 0x0d, 0x0d, 0x0a, 0, 0]) == nil, "truncated header")
        #expect(
            PycHeader([0xa7, 0x0d, 0x0d, 0x0a] + [9, 0, 0, 0] + [UInt8](repeating: 0, count: 8)) == nil, "bad flags")
    }
}

/// Whiteout names that name no file: the prefix alone, `.` or `..` after it, a reserved `.wh..wh.` name.
@Suite struct WhiteoutNameTests {
    @Test(arguments: [".wh.", ".wh..", ".wh...", ".wh..wh.x", ".wh..wh."])
    func namesNothing(name: String) { #expect(Whiteout.namesNothing(Array(name.utf8))) }

    @Test(arguments: [".wh.a.pyc", ".wh..wh..opq", ".wh..hidden", "a.wh.", "plain"])
    func namesSomething(name: String) { #expect(!Whiteout.namesNothing(Array(name.utf8))) }
}
