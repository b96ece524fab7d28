import CArchive

/// The outcome of a libarchive call, each case handled on purpose by the callers.
enum ArchiveResult {
    case ok
    case eof
    /// The call succeeded but libarchive has something to say (e.g. a name it could not convert).
    case warn(String)
    /// The call may be repeated: for a tar header, libarchive found a damaged block and would skip past it.
    case retry(String)
    /// The call failed; the archive may still be usable for another call.
    case failed(String)
    /// The archive can no longer be used.
    case fatal(String)

    init(_ code: Int32, archive: OpaquePointer) {
        switch code {
        case ARCHIVE_OK: self = .ok
        case ARCHIVE_EOF: self = .eof
        case ARCHIVE_WARN: self = .warn(Self.message(archive))
        case ARCHIVE_RETRY: self = .retry(Self.message(archive))
        case ARCHIVE_FAILED: self = .failed(Self.message(archive))
        default: self = .fatal(Self.message(archive))
        }
    }

    static func message(_ archive: OpaquePointer) -> String {
        guard let text = archive_error_string(archive) else { return "unknown libarchive error" }
        return String(cString: text)
    }
}

/// Runs a libarchive call, recording warnings, and throwing on failure.
///
/// ARCHIVE_RETRY is a failure too: for tar it means a damaged header (bad checksum, garbage), and calling again
/// would resynchronise on whatever block follows, silently dropping entries that other readers see. A damaged
/// layer is refused instead.
///
/// Returns `true` for success and `false` for ARCHIVE_EOF.
@discardableResult
func checkArchive(
    _ call: String,
    archive: OpaquePointer,
    entry: @autoclosure () -> String? = nil,
    warnings: inout [String],
    _ body: () -> Int32
) throws -> Bool {
    switch ArchiveResult(body(), archive: archive) {
    case .ok: return true
    case .eof: return false
    case .warn(let message):
        warnings.append(entry().map { "tar entry \($0): \(message)" } ?? "tar: \(message)")
        return true
    case .retry(let message):
        throw TarError.damaged(call: call, message: message, entry: entry())
    case .failed(let message), .fatal(let message):
        throw TarError.archive(call: call, message: message, entry: entry())
    }
}
