import ByteIO
import Foundation

/// Where `--report` sends the JSON: standard output (`-`), or a file claimed before any work.
///
/// A file is claimed by creating a temp file beside it, so a report path that cannot be written fails before a
/// single layer is read. The JSON is written and flushed there before the output is published, and renamed into place
/// after: a failed report leaves no output behind a non-zero exit.
enum ReportDestination {
    case standardOutput
    case file(ReportFile)

    /// `--report`'s value, claimed; nil without the option.
    static func claim(_ argument: String?) throws -> ReportDestination? {
        guard let argument else { return nil }
        return argument == "-" ? .standardOutput : .file(try ReportFile(path: argument))
    }
}

/// A report file being written: a temp file beside its final path until `publish()`.
final class ReportFile {
    /// The report's path as given.
    let path: String
    private let temporaryPath: String
    private let sink: FileSink
    private var published = false

    /// Creates the temp file beside `path`; fails when that directory cannot take it.
    init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).ocislim-\(getpid())"
        do {
            sink = try FileSink(creating: temporaryPath)
        } catch let error as ByteIOError {
            throw ReportError(path: path, errno: error.errno ?? EIO)
        }
    }

    deinit {
        if !published { unlink(temporaryPath) }
    }

    /// Writes and flushes the JSON into the temp file.
    func write(_ bytes: [UInt8]) throws {
        do {
            try sink.write(bytes)
            try sink.finish()
        } catch let error as ByteIOError {
            throw ReportError(path: path, errno: error.errno ?? EIO)
        }
    }

    /// Renames the written temp file to the report's path.
    func publish() throws {
        guard rename(temporaryPath, path) == 0 else { throw ReportError(path: path, errno: errno) }
        published = true
    }
}

/// The report file cannot be written: a bad path is a usage error (64), anything else a resource failure (2).
struct ReportError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32

    var description: String { "cannot write report \(path): \(ByteIOError.reason(errno))" }

    var exitCode: Int32 { [ENOENT, ENOTDIR, EISDIR, ENAMETOOLONG].contains(errno) ? 64 : 2 }
}
