// https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests

/// A validated content digest: `algorithm:encoded`, lowercase hex.
///
/// Only `sha256` is accepted for blobs, as in every image the tool reads and writes.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The algorithm, always `sha256`.
    public let algorithm: String
    /// The lowercase hex encoding of the hash.
    public let encoded: String

    /// Parses and validates `sha256:<64 lowercase hex>`.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else { throw OCIError.invalidDigest(text) }
        let algorithm = String(text[..<colon])
        let encoded = String(text[text.index(after: colon)...])
        guard algorithm == "sha256" else {
            throw OCIError.unsupportedDigestAlgorithm(text)
        }
        guard encoded.utf8.count == 64, encoded.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { throw OCIError.invalidDigest(text) }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Makes a sha256 digest from a hex string computed by the tool itself.
    public init(sha256Hex: String) {
        algorithm = "sha256"
        encoded = sha256Hex
    }

    public var description: String { "\(algorithm):\(encoded)" }

    /// The first 12 hex digits, for tables.
    public var short: String { String(encoded.prefix(12)) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch let error as OCIError {
            throw FieldError.invalid(codingPath: decoder.codingPath, underlying: error)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }
}
