import CArchive

/// The outcome of a libarchive call, each case handled on purpose by the callers.
enum ArchiveResult {
    case ok
    case eof
    /// The call succeeded but libarchive has something to say (e.g. a name it could not convert).
    case warn(String)
    /// The call should be repeated.
    case retry
    /// The call failed; the archive may still be usable for another call.
    case failed(String)
    /// The archive can no longer be used.
    case fatal(String)

    init(_ code: Int32, archive: OpaquePointer) {
        switch code {
        case ARCHIVE_OK: self = .ok
        case ARCHIVE_EOF: self = .eof
        case ARCHIVE_WARN: self = .warn(Self.message(archive))
        case ARCHIVE_RETRY: self = .retry
        case ARCHIVE_FAILED: self = .failed(Self.message(archive))
        default: self = .fatal(Self.message(archive))
        }
    }

    static func message(_ archive: OpaquePointer) -> String {
        guard let text = archive_error_string(archive) else { return "unknown libarchive error" }
        return String(cString: text)
    }
}

/// Runs a libarchive call, retrying on ARCHIVE_RETRY, recording warnings, and throwing on failure.
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
    // ARCHIVE_RETRY means "try again"; a bounded number of tries keeps a misbehaving stream from spinning.
    for _ in 0..<8 {
        switch ArchiveResult(body(), archive: archive) {
        case .ok: return true
        case .eof: return false
        case .warn(let message):
            warnings.append(entry().map { "tar entry \($0): \(message)" } ?? "tar: \(message)")
            return true
        case .retry: continue
        case .failed(let message), .fatal(let message):
            throw TarError.archive(call: call, message: message, entry: entry())
        }
    }
    throw TarError.archive(call: call, message: "libarchive kept asking to retry", entry: entry())
}
