import Foundation

/// What an external tool printed and how it ended.
public struct ToolRun: Sendable {
    /// The exit status (or the signal number when `killedBySignal`).
    public var status: Int32
    /// Whether a signal ended it.
    public var killedBySignal: Bool
    /// Its standard output.
    public var output: [UInt8]
    /// Its standard error, as text.
    public var errors: String

    /// Its standard output as UTF-8 text.
    public var text: String { String(decoding: output, as: UTF8.self) }
}

/// A failure of a fixture or a tool the tests run, with what it said.
public struct FixtureFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// Runs external tools (Python, bsdtar, gzip, zstd…) as independent checkers: the one process runner of the tests.
public enum Tool {
    /// Runs `arguments` (the first found on the PATH unless it is a path) with `input` on standard input.
    ///
    /// Standard input, output and error go through files, not pipes, so no amount of data can deadlock the child
    /// against this process.
    public static func run(
        _ arguments: [String], input: [UInt8] = [], environment: [String: String]? = nil, in directory: URL? = nil
    ) throws -> ToolRun {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ocislim-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inputURL = scratch.appendingPathComponent("stdin")
        let outputURL = scratch.appendingPathComponent("stdout")
        let errorsURL = scratch.appendingPathComponent("stderr")
        try Data(input).write(to: inputURL)
        try Data().write(to: outputURL)
        try Data().write(to: errorsURL)

        let process = Process()
        if arguments.first?.hasPrefix("/") == true {
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let inputHandle = try FileHandle(forReadingFrom: inputURL)
        let outputHandle = try FileHandle(forWritingTo: outputURL)
        let errorsHandle = try FileHandle(forWritingTo: errorsURL)
        defer {
            try? inputHandle.close()
            try? outputHandle.close()
            try? errorsHandle.close()
        }
        process.standardInput = inputHandle
        process.standardOutput = outputHandle
        process.standardError = errorsHandle
        try process.run()
        process.waitUntilExit()
        return ToolRun(
            status: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal,
            output: Array(try Data(contentsOf: outputURL)),
            errors: String(decoding: try Data(contentsOf: errorsURL), as: UTF8.self)
        )
    }

    /// Runs a tool that must succeed and returns its standard output; throws with its standard error otherwise.
    public static func output(_ arguments: [String], input: [UInt8] = []) throws -> [UInt8] {
        let run = try run(arguments, input: input)
        guard run.status == 0, !run.killedBySignal else {
            throw FixtureFailure("\(arguments.joined(separator: " ")) exited \(run.status): \(run.errors)")
        }
        return run.output
    }

    /// Whether `name` is an executable on the PATH.
    public static func exists(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }
}
