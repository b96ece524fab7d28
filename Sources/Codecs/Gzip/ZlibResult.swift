import CZlib

/// The zlib return codes that are not failures.
enum ZlibResult: Equatable {
    /// `Z_OK`: progress was made.
    case ok
    /// `Z_STREAM_END`: a deflate stream or a gzip member is complete.
    case streamEnd
    /// `Z_BUF_ERROR`: no progress was possible this call (more input or output space is needed); not fatal.
    case noProgress
}

/// Maps a zlib return code to its result, throwing with zlib's own message for failures and for results that
/// `call` has no business returning.
@discardableResult
func checkZlib(
    _ code: Int32,
    _ call: String,
    stream: UnsafeMutablePointer<z_stream>,
    allowing allowed: Set<ZlibResult> = [.ok]
) throws -> ZlibResult {
    let result: ZlibResult
    switch code {
    case Z_OK: result = .ok
    case Z_STREAM_END: result = .streamEnd
    case Z_BUF_ERROR: result = .noProgress
    // A gzip member cannot ask for a preset dictionary (only a zlib stream can), so Z_NEED_DICT is bad data too.
    case Z_DATA_ERROR, Z_NEED_DICT:
        throw CodecError.corrupt(.gzip, message: zlibMessage(code, stream: stream))
    default:
        throw CodecError.library(.gzip, call: call, message: zlibMessage(code, stream: stream))
    }
    guard allowed.contains(result) else {
        throw CodecError.library(.gzip, call: call, message: "unexpected \(zlibMessage(code, stream: stream))")
    }
    return result
}

/// The stream's own message when zlib set one, else zlib's text for the code.
private func zlibMessage(_ code: Int32, stream: UnsafeMutablePointer<z_stream>) -> String {
    if let message = stream.pointee.msg { return String(cString: message) }
    guard let text = zError(code) else { return "zlib error \(code)" }
    return String(cString: text)
}
