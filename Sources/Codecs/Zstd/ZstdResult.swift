import CZstd

/// Returns `result` unless it is a zstd error code, which is thrown with `ZSTD_getErrorName`'s text: as corrupt
/// input when the data is at fault, as a library failure otherwise.
@discardableResult
func checkZstd(_ result: Int, _ call: String) throws -> Int {
    guard ZSTD_isError(result) != 0 else { return result }
    let message = String(cString: ZSTD_getErrorName(result))
    switch ZSTD_getErrorCode(result) {
    case ZSTD_error_prefix_unknown, ZSTD_error_version_unsupported, ZSTD_error_frameParameter_unsupported,
        ZSTD_error_frameParameter_windowTooLarge, ZSTD_error_corruption_detected, ZSTD_error_checksum_wrong,
        ZSTD_error_literals_headerWrong, ZSTD_error_dictionary_wrong, ZSTD_error_tableLog_tooLarge,
        ZSTD_error_maxSymbolValue_tooLarge, ZSTD_error_maxSymbolValue_tooSmall, ZSTD_error_srcSize_wrong:
        throw CodecError.corrupt(.zstd, message: message)
    default:
        throw CodecError.library(.zstd, call: call, message: message)
    }
}
