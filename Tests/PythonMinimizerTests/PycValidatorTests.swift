import Foundation
import PythonMinimizer
import Testing

/// Real bytecode from every CPython 3.6–3.13, committed in testdata/pyc by scripts/make-pyc-fixtures.sh.
struct PycFixtures {
    /// The versions the fixtures must cover; a regeneration that lost an interpreter fails `coversEveryVersion`.
    static let versions = ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
    /// The versions with hash-based pycs (PEP 552).
    static let hashBasedVersions = Array(versions.dropFirst())

    /// One interpreter's entry in manifest.json.
    struct Version: Decodable {
        let version: String
        let cacheTag: String
        let magic: UInt16
        let sourceHash: String?
        let files: [String: String]
    }

    /// testdata/pyc/manifest.json.
    struct Manifest: Decodable {
        let source: String
        let sourceMtime: Int64
        let sourceSize: Int64
        let versions: [Version]
    }

    let manifest: Manifest
    let entry: Version

    /// The fixtures of one version.
    init(_ version: String) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        manifest = try decoder.decode(Manifest.self, from: Data(contentsOf: Self.url("manifest.json")))
        entry = try #require(manifest.versions.first { $0.version == version }, "no fixture for \(version)")
    }

    /// The bytes of this version's pyc in an invalidation mode: "timestamp", "checked" or "unchecked".
    func pyc(_ mode: String) throws -> [UInt8] {
        let name = try #require(entry.files[mode], "no \(mode) pyc for \(entry.version)")
        return Array(try Data(contentsOf: Self.url(name)))
    }

    /// The facts of the committed source, with CPython's source hash when the version has one.
    var source: SourceFacts {
        get throws {
            var facts = SourceFacts(mtime: manifest.sourceMtime, size: manifest.sourceSize)
            if let hex = entry.sourceHash {
                let hash: [UInt8] = try #require(Self.bytes(hex: hex), "bad hex \(hex)")
                facts.hashes[entry.magic] = hash
            }
            return facts
        }
    }

    /// The package root is three levels above this file: Tests/PythonMinimizerTests/PycValidatorTests.swift.
    static func url(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("testdata/pyc").appendingPathComponent(name)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }
}

@Suite struct PycValidatorTests {
    @Test func coversEveryVersion() throws {
        #expect(try PycFixtures("3.13").manifest.versions.map(\.version) == PycFixtures.versions)
    }

    // MARK: Current bytecode

    @Test(arguments: PycFixtures.versions)
    func timestampPycIsValid(version: String) throws {
        let fixtures = try PycFixtures(version)
        let validity = PycValidator.validate(
            header: try fixtures.pyc("timestamp"), cacheTag: fixtures.entry.cacheTag, source: try fixtures.source
        )
        #expect(validity == .valid(.timestamp(mtime: 1_700_000_000, sourceSize: 19)))
    }

    @Test(arguments: PycFixtures.versions)
    func headerAloneIsEnough(version: String) throws {
        let fixtures = try PycFixtures(version)
        let headerSize = version == "3.6" ? 12 : 16
        let validity = PycValidator.validate(
            header: Array(try fixtures.pyc("timestamp").prefix(headerSize)), cacheTag: fixtures.entry.cacheTag,
            source: try fixtures.source
        )
        #expect(validity == .valid(.timestamp(mtime: 1_700_000_000, sourceSize: 19)))
    }

    /// CPython compares `int(st_mtime) & 0xFFFFFFFF` and `st_size & 0xFFFFFFFF`: values past 32 bits wrap.
    @Test(arguments: PycFixtures.versions)
    func timestampComparesLow32Bits(version: String) throws {
        let fixtures = try PycFixtures(version)
        var source = try fixtures.source
        source.mtime += 1 << 32
        source.size += 1 << 32
        let validity = PycValidator.validate(
            header: try fixtures.pyc("timestamp"), cacheTag: fixtures.entry.cacheTag, source: source
        )
        #expect(validity == .valid(.timestamp(mtime: 1_700_000_000, sourceSize: 19)))
    }

    @Test(arguments: PycFixtures.hashBasedVersions)
    func checkedHashPycIsValid(version: String) throws {
        let fixtures = try PycFixtures(version)
        let hash = try #require(fixtures.entry.sourceHash.flatMap(PycFixtures.bytes(hex:)))
        let validity = PycValidator.validate(
            header: try fixtures.pyc("checked"), cacheTag: fixtures.entry.cacheTag, source: try fixtures.source
        )
        #expect(validity == .valid(.checkedHash(hash)))
    }

    @Test(arguments: PycFixtures.hashBasedVersions)
    func uncheckedHashPycIsValidWithoutSourceHash(version: String) throws {
        let fixtures = try PycFixtures(version)
        let hash = try #require(fixtures.entry.sourceHash.flatMap(PycFixtures.bytes(hex:)))
        let validity = PycValidator.validate(
            header: try fixtures.pyc("unchecked"), cacheTag: fixtures.entry.cacheTag,
            source: SourceFacts(mtime: 0, size: 0)
        )
        #expect(validity == .valid(.uncheckedHash(hash)))
    }

    // MARK: Stale bytecode

    @Test(arguments: PycFixtures.versions)
    func changedMtimeIsStale(version: String) throws {
        let fixtures = try PycFixtures(version)
        var source = try fixtures.source
        source.mtime += 1
        let validity = PycValidator.validate(
            header: try fixtures.pyc("timestamp"), cacheTag: fixtures.entry.cacheTag, source: source
        )
        #expect(validity == .invalid(.staleTimestamp))
    }

    @Test(arguments: PycFixtures.versions)
    func changedSizeIsStale(version: String) throws {
        let fixtures = try PycFixtures(version)
        var source = try fixtures.source
        source.size -= 1
        let validity = PycValidator.validate(
            header: try fixtures.pyc("timestamp"), cacheTag: fixtures.entry.cacheTag, source: source
        )
        #expect(validity == .invalid(.staleSize))
    }

    @Test(arguments: PycFixtures.hashBasedVersions)
    func changedSourceHashIsStale(version: String) throws {
        let fixtures = try PycFixtures(version)
        var source = try fixtures.source
        var hash = try #require(source.hashes[fixtures.entry.magic])
        hash[0] ^= 0x01
        source.hashes[fixtures.entry.magic] = hash
        let validity = PycValidator.validate(
            header: try fixtures.pyc("checked"), cacheTag: fixtures.entry.cacheTag, source: source
        )
        #expect(validity == .invalid(.sourceHashMismatch))
    }

    /// A hash computed for another release's magic (another key) is no evidence for this one.
    @Test(arguments: PycFixtures.hashBasedVersions)
    func checkedHashNeedsTheHashForItsOwnMagic(version: String) throws {
        let fixtures = try PycFixtures(version)
        var source = try fixtures.source
        let hash = try #require(source.hashes[fixtures.entry.magic])
        source.hashes[fixtures.entry.magic] = nil
        source.hashes[fixtures.entry.magic &+ 1] = hash
        let validity = PycValidator.validate(
            header: try fixtures.pyc("checked"), cacheTag: fixtures.entry.cacheTag, source: source
        )
        #expect(validity == .invalid(.sourceHashUnknown))
    }

    // MARK: Not this release's bytecode

    /// Every release's pyc under every release's cache tag: valid only under its own.
    @Test(arguments: PycFixtures.versions, PycFixtures.versions)
    func magicMustMatchTheCacheTag(pycVersion: String, tagVersion: String) throws {
        let fixtures = try PycFixtures(pycVersion)
        let tag = try PycFixtures(tagVersion).entry.cacheTag
        let validity = PycValidator.validate(
            header: try fixtures.pyc("timestamp"), cacheTag: tag, source: try fixtures.source
        )
        if pycVersion == tagVersion {
            #expect(validity == .valid(.timestamp(mtime: 1_700_000_000, sourceSize: 19)))
        } else {
            #expect(validity == .invalid(.wrongMagic))
        }
    }

    @Test(arguments: PycFixtures.versions)
    func truncatedHeaderIsNotBytecode(version: String) throws {
        let fixtures = try PycFixtures(version)
        let pyc = try fixtures.pyc("timestamp")
        // 3 bytes cut the magic; 10 cut any header; 12 is a whole 3.6 header but only part of a PEP 552 one.
        for length in version == "3.6" ? [0, 3, 10, 11] : [0, 3, 10, 12, 15] {
            let validity = PycValidator.validate(
                header: Array(pyc.prefix(length)), cacheTag: fixtures.entry.cacheTag, source: try fixtures.source
            )
            #expect(validity == .invalid(.notBytecode), "\(length) bytes")
        }
    }

    @Test func sourceIsNotBytecode() throws {
        let fixtures = try PycFixtures("3.11")
        let validity = PycValidator.validate(
            header: Array("GREETING = \"hello\"\n".utf8), cacheTag: "cpython-311", source: try fixtures.source
        )
        #expect(validity == .invalid(.notBytecode))
    }

    /// PEP 552 defines flags 0, 1 and 3 only.
    @Test func unknownFlagsAreNotBytecode() throws {
        let fixtures = try PycFixtures("3.11")
        var pyc = try fixtures.pyc("checked")
        pyc[4] = 0b100
        let validity = PycValidator.validate(header: pyc, cacheTag: "cpython-311", source: try fixtures.source)
        #expect(validity == .invalid(.notBytecode))
    }

    @Test(arguments: ["pypy39", "cpython-35", "cpython-315", "cpython-311-x86_64-linux-gnu", ""])
    func unknownCacheTag(tag: String) throws {
        let fixtures = try PycFixtures("3.11")
        let validity = PycValidator.validate(
            header: try fixtures.pyc("timestamp"), cacheTag: tag, source: try fixtures.source
        )
        #expect(validity == .invalid(.unknownCacheTag))
    }

    // MARK: Report text

    @Test func rejectionsReadAsSentences() {
        #expect(PycRejection.staleTimestamp.description == "bytecode is stale: its source mtime differs")
        #expect(PycRejection.staleSize.description == "bytecode is stale: its source size differs")
        #expect(PycRejection.sourceHashMismatch.description == "bytecode is stale: its source hash differs")
        let descriptions = PycRejection.allCases.map(\.description)
        #expect(Set(descriptions).count == PycRejection.allCases.count)
        #expect(descriptions.allSatisfy { !$0.isEmpty && $0.count <= 120 })
    }
}
