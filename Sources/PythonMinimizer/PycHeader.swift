// PEP 552 header: magic (2 bytes LE + "\r\n"), flags, then mtime+size or an 8-byte source hash.

/// The 16-byte header of a CPython 3.7+ `.pyc` file (3.6 has 12 bytes: no flags field).
public struct PycHeader: Hashable, Sendable {
    /// How the bytecode is checked against its source.
    public enum Validation: Hashable, Sendable {
        /// Source mtime and size, compared with the `.py` file's.
        case timestamp(mtime: UInt32, sourceSize: UInt32)
        /// SipHash of the source, compared at import.
        case checkedHash([UInt8])
        /// SipHash of the source, never compared.
        case uncheckedHash([UInt8])
    }

    /// The most bytes a header has (16 from 3.7; 12 before): what a scan reads of each `.pyc`.
    public static let maximumSize = 16

    /// The magic number (the first two bytes, little endian).
    public let magic: UInt16
    /// How the bytecode is validated.
    public let validation: Validation

    /// The CPython minor version the magic number belongs to, e.g. "3.11"; nil when unknown.
    public var pythonVersion: String? { CPythonRelease.containing(magic: magic)?.minorVersion }

    /// Parses a header; nil when the bytes are not CPython bytecode.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= 12, bytes[2] == 0x0d, bytes[3] == 0x0a else { return nil }
        magic = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        func word(_ offset: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
        }
        // 3.6 and older (magic < 3390) have no flags word: mtime and size follow the magic directly.
        if magic < 3390 {
            validation = .timestamp(mtime: word(4), sourceSize: word(8))
            return
        }
        guard bytes.count >= 16 else { return nil }
        let flags = word(4)
        switch flags {
        case 0: validation = .timestamp(mtime: word(8), sourceSize: word(12))
        case 0b11: validation = .checkedHash(Array(bytes[8..<16]))
        case 0b01: validation = .uncheckedHash(Array(bytes[8..<16]))
        default: return nil
        }
    }

}
