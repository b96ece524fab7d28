import Foundation
import Hashing
import PythonMinimizer
import Testing

@Suite struct CPythonReleaseTests {
    /// The table agrees with what each real interpreter reported (testdata/pyc/manifest.json).
    @Test(arguments: PycFixtures.versions)
    func agreesWithInterpreter(version: String) throws {
        let entry = try PycFixtures(version).entry
        let release = try #require(CPythonRelease.forCacheTag(entry.cacheTag))
        #expect(release.minorVersion == version)
        #expect(release.cacheTag == entry.cacheTag)
        #expect(release.magic == entry.magic)
        #expect(CPythonRelease.forMagic(entry.magic) == release)
        #expect(release.supportsHashBasedPyc == (entry.files["checked"] != nil))
    }

    /// The header is exactly `headerSize` bytes: one byte fewer does not parse.
    @Test(arguments: PycFixtures.versions)
    func headerSizeMatchesRealBytecode(version: String) throws {
        let fixtures = try PycFixtures(version)
        let release = try #require(CPythonRelease.forCacheTag(fixtures.entry.cacheTag))
        let pyc = try fixtures.pyc("timestamp")
        #expect(PycHeader(Array(pyc.prefix(release.headerSize))) != nil)
        #expect(PycHeader(Array(pyc.prefix(release.headerSize - 1))) == nil)
    }

    // Printed by CPython 3.10.13 and 3.11.7:
    //   python3 -c 'import importlib.util as u; print(u.source_hash(bytes(i % 251 for i in range(1000))).hex())'
    // 1000 bytes: many blocks and a tail, which the one-line fixture source does not exercise.
    @Test(arguments: [("3.10", "4a7eafe9dbe5b6e6"), ("3.11", "a6ab444bff84b9b9")])
    func sourceHashOfManyBlocks(version: String, expected: String) throws {
        let release = try #require(CPythonRelease.all.first { $0.minorVersion == version })
        let source = (0..<1000).map { UInt8($0 % 251) }
        #expect(try release.sourceHash(source, sipHash: SipHash.hash)?.hexString == expected)
    }

    /// Every CPython with hash-based pycs agrees with `importlib.util.source_hash` as recorded by
    /// scripts/make-pyc-fixtures.sh; the hashes a scan records are the same, keyed by magic.
    @Test(arguments: PycFixtures.hashBasedVersions)
    func sourceHashMatchesInterpreter(version: String) throws {
        let fixtures = try PycFixtures(version)
        let release = try #require(CPythonRelease.forCacheTag(fixtures.entry.cacheTag))
        let expected = try #require(fixtures.entry.sourceHash, "no source_hash for \(version)")
        let source = Array(try Data(contentsOf: PycFixtures.url(fixtures.manifest.source)))
        #expect(try release.sourceHash(source, sipHash: SipHash.hash)?.hexString == expected)
        let all = try CPythonRelease.sourceHashes(source, sipHash: SipHash.hash)
        #expect(all[release.magic]?.hexString == expected)
        #expect(all.count == CPythonRelease.all.filter(\.supportsHashBasedPyc).count)
    }

    @Test func releasesWithoutHashBasedPycsHaveNoSourceHash() throws {
        let release = try #require(CPythonRelease.forCacheTag("cpython-36"))
        #expect(try release.sourceHash([1, 2, 3], sipHash: SipHash.hash) == nil)
    }

    /// SipHash-2-4 through 3.10, SipHash-1-3 from 3.11 (the tests above check both against the interpreters).
    @Test func sourceHashRounds() {
        let rounds = Dictionary(
            uniqueKeysWithValues: CPythonRelease.all.map { ($0.minorVersion, $0.sourceHashCompressionRounds) }
        )
        #expect(
            rounds == [
                "3.6": nil, "3.7": 2, "3.8": 2, "3.9": 2, "3.10": 2, "3.11": 1, "3.12": 1, "3.13": 1, "3.14": 1,
            ])
    }

    @Test func tableIsOrderedAndUnique() {
        let all = CPythonRelease.all
        #expect(all.map(\.minorVersion) == ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"])
        #expect(all.map(\.magic) == all.map(\.magic).sorted())
        #expect(Set(all.map(\.magic)).count == all.count)
        #expect(Set(all.map(\.cacheTag)).count == all.count)
        #expect(CPythonRelease.forCacheTag("cpython-314")?.magic == 3627)
    }

    /// Each release magic is the last of its version's range in PycHeader.
    @Test(arguments: CPythonRelease.all)
    func agreesWithPycHeader(release: CPythonRelease) {
        let magic = [UInt8(release.magic & 0xff), UInt8(release.magic >> 8), 0x0d, 0x0a]
        let bytes = magic + [UInt8](repeating: 0, count: 12)
        #expect(PycHeader(bytes)?.pythonVersion == release.minorVersion)
    }

    @Test func unknownNamesAndPreReleaseMagicsAreNil() {
        #expect(CPythonRelease.forCacheTag("pypy39") == nil)
        #expect(CPythonRelease.forCacheTag("cpython-27") == nil)
        #expect(CPythonRelease.forMagic(3390) == nil, "3.7a1")
        #expect(CPythonRelease.forMagic(62211) == nil, "2.7")
    }
}
