import CCrypto

/// SipHash through OpenSSL's EVP_MAC (CPython keys it for the source hash of hash-based `.pyc` files: see
/// PythonMinimizer's `CPythonRelease.sourceHash`).
public enum SipHash {
    /// The 8-byte SipHash-c-d of `bytes` under a 16-byte key, little endian as CPython writes it.
    public static func hash(
        _ bytes: [UInt8], key: [UInt8], compressionRounds: Int, finalizationRounds: Int
    ) throws -> [UInt8] {
        precondition(key.count == 16, "SipHash keys are 16 bytes, not \(key.count)")
        // OpenSSL reads 0 rounds as "use the default" (2 or 4), so a zero would silently hash with other rounds.
        precondition((1...64).contains(compressionRounds), "SipHash compression rounds out of range")
        precondition((1...64).contains(finalizationRounds), "SipHash finalization rounds out of range")
        let context = try SipHashContext(
            key: key, compressionRounds: UInt32(compressionRounds), finalizationRounds: UInt32(finalizationRounds)
        )
        try context.update(bytes)
        return try context.finalize()
    }

}

/// One EVP_MAC_CTX keyed for 8-byte SipHash; the context holds its own reference to the fetched algorithm.
private final class SipHashContext {
    private let context: OpaquePointer
    private var finalized: [UInt8]?

    init(key: [UInt8], compressionRounds: UInt32, finalizationRounds: UInt32) throws {
        guard let algorithm = EVP_MAC_fetch(nil, "SIPHASH", nil) else {
            throw HashingError.openssl(call: "EVP_MAC_fetch", message: openSSLErrorText())
        }
        // EVP_MAC_CTX_new takes its own reference, so ours can go as soon as the context exists.
        defer { EVP_MAC_free(algorithm) }
        guard let context = EVP_MAC_CTX_new(algorithm) else {
            throw HashingError.openssl(call: "EVP_MAC_CTX_new", message: openSSLErrorText())
        }
        self.context = context
        // Every stored property is set: a throw from here runs deinit, which frees the context.
        var size = 8
        var compressionRounds = compressionRounds
        var finalizationRounds = finalizationRounds
        try withUnsafeMutablePointer(to: &size) { size in
            try withUnsafeMutablePointer(to: &compressionRounds) { compressionRounds in
                try withUnsafeMutablePointer(to: &finalizationRounds) { finalizationRounds in
                    // OpenSSL applies size and rounds before the key, so all three shape this key's state.
                    let parameters = [
                        ocislim_mac_param_size(size),
                        ocislim_mac_param_c_rounds(compressionRounds),
                        ocislim_mac_param_d_rounds(finalizationRounds),
                        OSSL_PARAM_construct_end(),
                    ]
                    try key.withUnsafeBufferPointer { key in
                        try checkOpenSSL(EVP_MAC_init(context, key.baseAddress, key.count, parameters), "EVP_MAC_init")
                    }
                }
            }
        }
    }

    deinit { EVP_MAC_CTX_free(context) }

    func update(_ bytes: [UInt8]) throws {
        precondition(finalized == nil, "SipHashContext updated after finalize()")
        try bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            try checkOpenSSL(EVP_MAC_update(context, base, bytes.count), "EVP_MAC_update")
        }
    }

    /// The 8 hash bytes; later calls return the same value.
    func finalize() throws -> [UInt8] {
        if let finalized { return finalized }
        var output = [UInt8](repeating: 0, count: 8)
        var length = 0
        try checkOpenSSL(EVP_MAC_final(context, &output, &length, output.count), "EVP_MAC_final")
        let result = Array(output.prefix(length))
        finalized = result
        return result
    }
}

@available(*, unavailable)
extension SipHashContext: Sendable {}
