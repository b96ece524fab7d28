import Foundation

/// Compiles Python sources with a host CPython through one long-lived worker process (never one per file).
///
/// The worker speaks a small framed protocol on its standard input and output; calls from concurrent layer tasks are
/// serialized by a lock. The bytecode is what `py_compile` writes: a timestamp pyc of the source's mtime and size,
/// compiled with the source's final path as its `co_filename`.
final class BytecodeCompiler: @unchecked Sendable {
    /// The interpreter, e.g. `/usr/bin/python3.11`.
    let executable: String
    /// Its minor version, e.g. `3.11`.
    let version: String
    /// Its cache tag, e.g. `cpython-311`.
    let cacheTag: String

    // Guarded by `lock`: one request and its answer at a time.
    private let lock = NSLock()
    private let process: Process
    private let requests: FileHandle
    private let answers: FileHandle

    /// Starts the worker and asks it who it is.
    init(executable: String) throws {
        self.executable = executable
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["-i", "PATH=/usr/bin:/bin", executable, "-I", "-u", "-c", Self.worker]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CompileError.cannotStart(executable, reason: error.localizedDescription)
        }
        self.process = process
        requests = input.fileHandleForWriting
        answers = output.fileHandleForReading
        guard let hello = try? Self.readLine(answers), case let fields = hello.split(separator: " "), fields.count == 2,
            fields[0].hasPrefix("cpython-")
        else {
            process.terminate()
            throw CompileError.cannotStart(executable, reason: "it is not a CPython 3.7 or newer")
        }
        cacheTag = String(fields[0])
        version = String(fields[1])
    }

    deinit {
        try? requests.close()
        process.waitUntilExit()
    }

    /// Compiles `source` as the module file `path` (absolute, in the image); returns the pyc, or the compiler's
    /// message when the source does not compile.
    func compile(path: [UInt8], source: [UInt8], mtime: Int64) throws -> Result<[UInt8], CompileFailure> {
        try lock.withLock {
            var request = Data()
            request.append(contentsOf: Self.littleEndian(UInt32(path.count)))
            request.append(contentsOf: path)
            request.append(contentsOf: Self.littleEndian(UInt64(bitPattern: mtime)))
            request.append(contentsOf: Self.littleEndian(UInt32(source.count)))
            request.append(contentsOf: source)
            do {
                try requests.write(contentsOf: request)
            } catch {
                throw CompileError.workerDied(executable)
            }
            let status = try read(1)
            let length = try read(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let body = try read(length)
            return status == [0]
                ? .success(body) : .failure(CompileFailure(message: String(decoding: body, as: UTF8.self)))
        }
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            guard let chunk = try answers.read(upToCount: count - bytes.count), !chunk.isEmpty else {
                throw CompileError.workerDied(executable)
            }
            bytes += chunk
        }
        return bytes
    }

    private static func readLine(_ handle: FileHandle) throws -> String {
        var bytes: [UInt8] = []
        while let byte = try handle.read(upToCount: 1)?.first, byte != 0x0a { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// The worker: answers "TAG VERSION", then per request (path, mtime, source) a status byte and the pyc or the
    /// error. It uses importlib's own pyc writer, as py_compile does.
    static let worker = #"""
        import importlib._bootstrap_external as bootstrap, struct, sys
        inp, out = sys.stdin.buffer, sys.stdout.buffer
        out.write(("%s %d.%d\n" % (sys.implementation.cache_tag, *sys.version_info[:2])).encode()); out.flush()
        while True:
            head = inp.read(4)
            if len(head) < 4:
                break
            path = inp.read(struct.unpack("<I", head)[0]).decode("utf-8", "surrogateescape")
            mtime, size = struct.unpack("<QI", inp.read(12))
            source = inp.read(size)
            try:
                code = compile(source, path, "exec", dont_inherit=True, optimize=0)
                answer = b"\0", bytes(bootstrap._code_to_timestamp_pyc(code, mtime & 0xFFFFFFFF, size))
            except Exception as error:
                answer = b"\1", ("%s: %s" % (type(error).__name__, error)).encode()
            out.write(answer[0] + struct.pack("<I", len(answer[1])) + answer[1]); out.flush()
        """#
}

/// A source that does not compile.
struct CompileFailure: Error, Hashable {
    let message: String
}

/// Failures of the compiler worker itself.
enum CompileError: Error, CustomStringConvertible {
    case cannotStart(String, reason: String)
    case workerDied(String)
    case versionMismatch(compiler: String, version: String, image: [String])

    var description: String {
        switch self {
        case .cannotStart(let executable, let reason): "--compile-with \(executable): cannot start it: \(reason)"
        case .workerDied(let executable): "--compile-with \(executable): the compiler process ended unexpectedly"
        case .versionMismatch(let executable, let version, let image):
            "--compile-with \(executable) is CPython \(version), but the image's Python is "
                + (image.isEmpty ? "not under lib/pythonX.Y" : image.joined(separator: ", "))
                + ": bytecode must come from the same minor version"
        }
    }
}
