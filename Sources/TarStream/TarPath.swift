/// A tar entry name as the bytes stored in the archive.
///
/// Names are bytes, not strings: a name that is not UTF-8 passes through unchanged.
public struct TarPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The raw bytes of the name.
    public let bytes: [UInt8]

    /// Wraps raw name bytes.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Makes a name from a string's UTF-8 bytes.
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// The name for display; bytes that are not UTF-8 show as replacement characters.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (lhs: TarPath, rhs: TarPath) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}
