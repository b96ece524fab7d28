// A sourceless `.pyc` is loaded after a magic check only: CPython never compares it with a source again. Before a
// `__pycache__` pyc ships as the module itself, it must be proven current the way CPython would have checked it
// (Lib/importlib/_bootstrap_external.py: _classify_pyc, _validate_timestamp_pyc, _validate_hash_pyc).

/// What the validator knows about a module's `.py` source.
public struct SourceFacts: Sendable, Hashable {
    /// The source's modification time in whole seconds since the epoch.
    public var mtime: Int64
    /// The source's size in bytes.
    public var size: Int64
    /// CPython's source hash of the source by release magic number (`importlib.util.source_hash`), computed by the
    /// caller; needed only for checked-hash pycs.
    public var hashes: [UInt16: [UInt8]]

    /// Facts about one source file.
    public init(mtime: Int64, size: Int64, hashes: [UInt16: [UInt8]] = [:]) {
        self.mtime = mtime
        self.size = size
        self.hashes = hashes
    }
}

/// Whether a pyc's bytecode was compiled from the source it sits beside.
public enum PycValidity: Sendable, Hashable {
    /// The bytecode is current; the header says how CPython checks it.
    case valid(PycHeader.Validation)
    /// The bytecode cannot be proven current.
    case invalid(PycRejection)
}

/// Why a pyc's bytecode cannot be proven current.
public enum PycRejection: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The cache tag names no known CPython release.
    case unknownCacheTag
    /// The header is unreadable or truncated.
    case notBytecode
    /// The magic number is not the one of the release the cache tag names.
    case wrongMagic
    /// The header's source mtime differs from the source's.
    case staleTimestamp
    /// The header's source size differs from the source's.
    case staleSize
    /// The header's source hash differs from the source's.
    case sourceHashMismatch
    /// The pyc is checked by source hash, and the source's hash for this release was not given.
    case sourceHashUnknown

    /// A sentence for the report.
    public var description: String {
        switch self {
        case .unknownCacheTag: "bytecode is for an interpreter this tool does not know: its cache tag names no release"
        case .notBytecode: "not CPython bytecode: its header is unreadable or truncated"
        case .wrongMagic: "bytecode is for another CPython release than its cache tag names: its magic number differs"
        case .staleTimestamp: "bytecode is stale: its source mtime differs"
        case .staleSize: "bytecode is stale: its source size differs"
        case .sourceHashMismatch: "bytecode is stale: its source hash differs"
        case .sourceHashUnknown: "bytecode is checked by source hash, but the source hash was not computed"
        }
    }
}

/// Decides whether a `__pycache__` pyc matches its source, as CPython would when importing with the source present.
public enum PycValidator {
    /// Validates the header of the pyc named with `cacheTag` (at least its first 16 bytes) against its source.
    public static func validate(header bytes: [UInt8], cacheTag: String, source: SourceFacts) -> PycValidity {
        guard let release = CPythonRelease.forCacheTag(cacheTag) else { return .invalid(.unknownCacheTag) }
        // Magic first, as CPython does: a pyc from another release is wrong even when its flags are unknown here.
        guard bytes.count >= 4, bytes[2] == 0x0d, bytes[3] == 0x0a else { return .invalid(.notBytecode) }
        guard UInt16(bytes[0]) | UInt16(bytes[1]) << 8 == release.magic else { return .invalid(.wrongMagic) }
        guard bytes.count >= release.headerSize, let header = PycHeader(bytes) else { return .invalid(.notBytecode) }

        switch header.validation {
        case .timestamp(let mtime, let sourceSize):
            // CPython compares int(st_mtime) & 0xFFFFFFFF and st_size & 0xFFFFFFFF.
            guard mtime == UInt32(truncatingIfNeeded: source.mtime) else { return .invalid(.staleTimestamp) }
            guard sourceSize == UInt32(truncatingIfNeeded: source.size) else { return .invalid(.staleSize) }
        case .checkedHash(let hash):
            guard let sourceHash = source.hashes[release.magic] else { return .invalid(.sourceHashUnknown) }
            guard hash == sourceHash else { return .invalid(.sourceHashMismatch) }
        case .uncheckedHash:
            // CPython runs unchecked bytecode whatever the source says, so shipping it sourceless changes nothing.
            break
        }
        return .valid(header.validation)
    }
}
