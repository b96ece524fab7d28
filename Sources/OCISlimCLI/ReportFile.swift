import ByteIO
import Foundation
import OCIImage

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
///
/// The temp file is registered with the `StagingRegistry` for as long as it exists, so a run ended by `SIGINT` or
/// `SIGTERM` (which exits without running `deinit`) removes it with the staging directories.
final class ReportFile {
    /// The report's path as given.
    let path: String
    private let temporaryPath: String
    private let sink: FileSink
    private let registry: StagingRegistry
    private var published = false

    /// Creates the temp file beside `path`, registered in `registry` for removal on interruption; fails when that
    /// directory cannot take it.
    init(path: String, registry: StagingRegistry = .shared) throws {
        self.path = path
        self.registry = registry
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).ocislim-\(getpid())"
        // Registered before it exists: a signal between the two finds nothing to remove, never an unlisted file.
        registry.add(temporary: temporaryPath)
        do {
            sink = try FileSink(creating: temporaryPath)
        } catch let error as ByteIOError {
            registry.remove(temporaryPath)
            throw ReportError(path: path, errno: error.errno ?? EIO)
        }
    }

    deinit {
        if !published { unlink(temporaryPath) }
        registry.remove(temporaryPath)
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
        registry.remove(temporaryPath)
    }
}

/// The report file cannot be written: a bad path is a usage error (64), anything else a resource failure (2).
struct ReportError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32

    var description: String { "cannot write report \(path): \(ByteIOError.reason(errno))" }

    var exitCode: Int32 { [ENOENT, ENOTDIR, EISDIR, ENAMETOOLONG].contains(errno) ? 64 : 2 }
}
