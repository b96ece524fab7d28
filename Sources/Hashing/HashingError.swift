import CCrypto

/// Failures of libcrypto, with OpenSSL's own message.
public enum HashingError: Error, Equatable, CustomStringConvertible {
    case openssl(call: String, message: String)

    public var description: String {
        switch self {
        case .openssl(let call, let message): "libcrypto \(call) failed: \(message)"
        }
    }
}

/// Throws with OpenSSL's error queue text unless `result` is 1 (libcrypto's success).
func checkOpenSSL(_ result: Int32, _ call: String) throws {
    guard result == 1 else { throw HashingError.openssl(call: call, message: openSSLErrorText()) }
}

/// The oldest queued OpenSSL error; the rest are cleared so they cannot label a later failure.
func openSSLErrorText() -> String {
    let code = ERR_get_error()
    ERR_clear_error()
    guard code != 0 else { return "unknown error" }
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
