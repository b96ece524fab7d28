import ByteIO
import CCrypto

/// An incremental SHA-256 through OpenSSL's EVP interface (which uses the CPU's SHA extensions).
public final class SHA256Hasher {
    private let context: OpaquePointer
    private var finalized: [UInt8]?

    /// Starts a new hash.
    public init() throws {
        guard let context = EVP_MD_CTX_new() else {
            throw HashingError.openssl(call: "EVP_MD_CTX_new", message: openSSLErrorText())
        }
        self.context = context
        // Every stored property is set: a throw from here runs deinit, which frees the context.
        try checkOpenSSL(EVP_DigestInit_ex(context, EVP_sha256(), nil), "EVP_DigestInit_ex")
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes to the hash.
    public func update(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(finalized == nil, "SHA256Hasher updated after finalize()")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        try checkOpenSSL(EVP_DigestUpdate(context, base, bytes.count), "EVP_DigestUpdate")
    }

    /// Adds the bytes of an array to the hash.
    public func update(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try update($0) } }

    /// Returns the 32-byte digest; later calls return the same value.
    public func finalize() throws -> [UInt8] {
        if let finalized { return finalized }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        try checkOpenSSL(EVP_DigestFinal_ex(context, &digest, &length), "EVP_DigestFinal_ex")
        let result = Array(digest.prefix(Int(length)))
        finalized = result
        return result
    }

    /// Returns the digest as lowercase hexadecimal.
    public func finalizeHex() throws -> String { try finalize().hexString }

    /// Hashes bytes in one call.
    public static func hash(_ bytes: [UInt8]) throws -> [UInt8] {
        let hasher = try SHA256Hasher()
        try hasher.update(bytes)
        return try hasher.finalize()
    }
}

@available(*, unavailable)
extension SHA256Hasher: Sendable {}

extension Array where Element == UInt8 {
    /// The bytes as lowercase hexadecimal.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A sink that hashes and counts every byte on its way to the next sink (or nowhere).
public final class HashingSink: ByteSink {
    private let hasher: SHA256Hasher
    private let next: ByteSink?
    /// The number of bytes that passed through.
    public private(set) var count: Int64 = 0

    /// Hashes bytes on their way to `next`.
    public init(_ next: ByteSink? = nil) throws {
        self.hasher = try SHA256Hasher()
        self.next = next
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try hasher.update(bytes)
        count += Int64(bytes.count)
        try next?.write(bytes)
    }

    public func finish() throws { try next?.finish() }

    /// The hex digest of everything written; call after the last write.
    public func hexDigest() throws -> String { try hasher.finalizeHex() }
}

@available(*, unavailable)
extension HashingSink: Sendable {}

/// A source that hashes and counts every byte it passes on.
public final class HashingSource: ByteSource {
    private let hasher: SHA256Hasher
    private let upstream: ByteSource
    /// The number of bytes that passed through.
    public private(set) var count: Int64 = 0

    /// Hashes the bytes read from `upstream`.
    public init(_ upstream: ByteSource) throws {
        self.hasher = try SHA256Hasher()
        self.upstream = upstream
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let read = try upstream.read(into: buffer)
        try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<read]))
        count += Int64(read)
        return read
    }

    /// The hex digest of everything read; call after the stream ended.
    public func hexDigest() throws -> String { try hasher.finalizeHex() }
}

@available(*, unavailable)
extension HashingSource: Sendable {}
