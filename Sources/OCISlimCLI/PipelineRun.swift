import ArgumentParser
import Foundation
import OCISlim

/// What `rewrite` and `audit` share around a run of the pipeline: a failure becomes one line on standard error and an
/// exit status, and a report becomes JSON.
enum PipelineRun {
    /// Runs `work`; if it throws, prints the error as one line on standard error and ends the command with the exit
    /// status `exitCode(for:)` gives.
    static func result<Value>(of work: () async throws -> Value) async throws -> Value {
        do {
            return try await work()
        } catch {
            StandardError.write(errorLine(error) + "\n")
            throw exitCode(for: error)
        }
    }

    /// How a failed run says so: the parser's own style (`Error: …`), so every error of the command reads alike.
    static func errorLine(_ error: any Error) -> String { "Error: \(error)" }

    /// The exit status of a failed run, by its cause (`FailureKind`): 1 when the input is invalid (the message names
    /// the file, blob or tar entry), 2 for an I/O or resource failure a retry may fix (disk full, I/O error, output
    /// busy), 3 when a policy refuses the work (`--signatures refuse`), 64 when the options do not suit the image or
    /// the paths (found before any work).
    static func exitCode(for error: any Error) -> ExitCode {
        if let error = error as? ReportError { return ExitCode(error.exitCode) }
        return ExitCode(FailureKind(error).exitStatus)
    }

    /// A report as JSON: indented, keys sorted, slashes unescaped; the same bytes for `--json` and `--report`.
    static func json(_ report: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(report)
    }
}

/// Unbuffered writes to standard error.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
