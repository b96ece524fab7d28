// Magic numbers and their ranges: Lib/importlib/_bootstrap_external.py of each release. For 3.6–3.13, real interpreters reported their
// importlib.util.MAGIC_NUMBER, cache tag and source_hash through scripts/make-pyc-fixtures.sh; the tests compare
// that output with this table.

/// SipHash-c-d: (bytes, 16-byte key, compression rounds c, finalization rounds d) → 8 bytes, little endian. The
/// domain holds CPython's facts; the hashing itself comes from a cryptography library (Hashing's `SipHash.hash`).
public typealias SipHashFunction = ([UInt8], [UInt8], Int, Int) throws -> [UInt8]

/// A CPython minor release and the facts about its bytecode files.
public struct CPythonRelease: Sendable, Hashable {
    /// The minor version, e.g. "3.11".
    public let minorVersion: String
    /// The cache tag in `__pycache__` file names, e.g. "cpython-311".
    public let cacheTag: String
    /// The release's magic number: the first two header bytes, little endian.
    public let magic: UInt16
    /// Every magic number of the release's line, its alphas and betas included: the last one is `magic`.
    public let magics: ClosedRange<UInt16>
    /// The header length in bytes: 12 before PEP 552 (3.6), 16 from 3.7.
    public let headerSize: Int
    /// SipHash compression rounds of the source hash in hash-based pycs (finalization rounds are two more);
    /// nil when the release has no hash-based pycs.
    public let sourceHashCompressionRounds: Int?

    /// Whether the release reads hash-based pycs (PEP 552, from 3.7).
    public var supportsHashBasedPyc: Bool { sourceHashCompressionRounds != nil }

    /// Every release from 3.6 to 3.14, oldest first.
    public static let all: [CPythonRelease] = [
        CPythonRelease(minorVersion: "3.6", magics: 3360...3379, headerSize: 12, sourceHashCompressionRounds: nil),
        // SipHash-2-4 until 3.10.
        CPythonRelease(minorVersion: "3.7", magics: 3390...3394, headerSize: 16, sourceHashCompressionRounds: 2),
        CPythonRelease(minorVersion: "3.8", magics: 3400...3413, headerSize: 16, sourceHashCompressionRounds: 2),
        CPythonRelease(minorVersion: "3.9", magics: 3420...3425, headerSize: 16, sourceHashCompressionRounds: 2),
        CPythonRelease(minorVersion: "3.10", magics: 3430...3439, headerSize: 16, sourceHashCompressionRounds: 2),
        // 3.11 moved _Py_KeyedHash to SipHash-1-3 along with str hashing.
        CPythonRelease(minorVersion: "3.11", magics: 3450...3495, headerSize: 16, sourceHashCompressionRounds: 1),
        CPythonRelease(minorVersion: "3.12", magics: 3500...3531, headerSize: 16, sourceHashCompressionRounds: 1),
        CPythonRelease(minorVersion: "3.13", magics: 3550...3571, headerSize: 16, sourceHashCompressionRounds: 1),
        // Taken from 3.14.0rc3's source; not verified against an interpreter here.
        CPythonRelease(minorVersion: "3.14", magics: 3600...3627, headerSize: 16, sourceHashCompressionRounds: 1),
    ]

    // MARK: The source hash of hash-based pycs (PEP 552): `importlib.util.source_hash`

    /// The key of the release's source hash: `_RAW_MAGIC_NUMBER`, the four header bytes (magic little endian,
    /// "\r\n") read as a little-endian integer, zero-extended to k0, with k1 = 0 — as SipHash takes k0 then k1,
    /// 16 little-endian bytes.
    public var sourceHashKey: [UInt8] {
        [UInt8(truncatingIfNeeded: magic), UInt8(truncatingIfNeeded: magic >> 8), 0x0d, 0x0a]
            + [UInt8](repeating: 0, count: 12)
    }

    /// What `importlib.util.source_hash(source)` returns on this release, computed by `sipHash` (the 8-byte
    /// SipHash-c-d of bytes under a 16-byte key, little endian); nil when the release has no hash-based pycs.
    /// `_Py_KeyedHash` pairs c compression rounds with c + 2 finalization rounds.
    public func sourceHash(
        _ source: [UInt8], sipHash: SipHashFunction
    ) throws -> [UInt8]? {
        guard let rounds = sourceHashCompressionRounds else { return nil }
        return try sipHash(source, sourceHashKey, rounds, rounds + 2)
    }

    /// The source hash of `source` under every release with hash-based pycs, keyed by the release's magic: what a
    /// scan records so the planner can validate bytecode of any release against its source.
    public static func sourceHashes(_ source: [UInt8], sipHash: SipHashFunction) throws -> [UInt16: [UInt8]] {
        var hashes: [UInt16: [UInt8]] = [:]
        for release in all {
            if let hash = try release.sourceHash(source, sipHash: sipHash) { hashes[release.magic] = hash }
        }
        return hashes
    }

    /// The release whose cache tag this is ("cpython-311"); nil for other implementations and unknown releases.
    public static func forCacheTag(_ tag: String) -> CPythonRelease? { all.first { $0.cacheTag == tag } }

    /// The release whose final magic number this is; nil for pre-release magic numbers and unknown releases.
    public static func forMagic(_ magic: UInt16) -> CPythonRelease? { all.first { $0.magic == magic } }

    /// The release whose line this magic number belongs to, pre-releases included; nil when unknown.
    public static func containing(magic: UInt16) -> CPythonRelease? { all.first { $0.magics.contains(magic) } }

    private init(
        minorVersion: String, magics: ClosedRange<UInt16>, headerSize: Int, sourceHashCompressionRounds: Int?
    ) {
        self.minorVersion = minorVersion
        self.cacheTag = "cpython-" + minorVersion.filter { $0 != "." }
        self.magic = magics.upperBound
        self.magics = magics
        self.headerSize = headerSize
        self.sourceHashCompressionRounds = sourceHashCompressionRounds
    }
}
