import Foundation
import Hashing
import Testing

@Suite struct SipHasherTests {
    // Appendix A of the SipHash paper (Aumasson, Bernstein) and the reference vectors.h: key 00..0f, messages of
    // length 0 and 15 (bytes 00..0e); the 64-bit outputs 0x726fdb47dd0e0e31 and 0xa129ca6149be45e5, little endian.
    @Test(arguments: [(0, "310e0edd47db6f72"), (15, "e545be4961ca29a1")])
    func sipHash24ReferenceVectors(length: Int, expected: String) throws {
        let key = (0..<16).map(UInt8.init)
        let message = (0..<length).map(UInt8.init)
        let hash = try SipHash.hash(message, key: key, compressionRounds: 2, finalizationRounds: 4)
        #expect(hash.hexString == expected)
    }

    @Test func roundsChangeTheHash() throws {
        let key = (0..<16).map(UInt8.init)
        let message = Array("rounds".utf8)
        let sipHash24 = try SipHash.hash(message, key: key, compressionRounds: 2, finalizationRounds: 4)
        let sipHash13 = try SipHash.hash(message, key: key, compressionRounds: 1, finalizationRounds: 3)
        #expect(sipHash24.count == 8 && sipHash13.count == 8)
        #expect(sipHash24 != sipHash13)
    }

    // Printed by CPython 3.10.13 and 3.11.7:
    //   python3 -c 'import importlib.util as u; print(u.source_hash(bytes(i % 251 for i in range(1000))).hex())'
    // 1000 bytes: many blocks and a tail, which the one-line fixture source does not exercise.
    @Test(arguments: [(UInt16(3439), 2, "4a7eafe9dbe5b6e6"), (3495, 1, "a6ab444bff84b9b9")])
    func cpythonSourceHashOfManyBlocks(magic: UInt16, compressionRounds: Int, expected: String) throws {
        let source = (0..<1000).map { UInt8($0 % 251) }
        let hash = try SipHash.cpythonSourceHash(source, magic: magic, compressionRounds: compressionRounds)
        #expect(hash.hexString == expected)
    }

    /// Every CPython with hash-based pycs agrees with `importlib.util.source_hash` as recorded by
    /// scripts/make-pyc-fixtures.sh: SipHash-2-4 through 3.10, SipHash-1-3 from 3.11, and only that one.
    @Test(arguments: ["3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
    func cpythonSourceHashMatchesInterpreters(version: String) throws {
        let manifest = try PycFixtureManifest.load()
        let entry = try #require(manifest.versions.first { $0.version == version }, "no fixture for \(version)")
        let expected = try #require(entry.sourceHash, "no source_hash for \(version)")
        let source = try PycFixtureManifest.bytes(manifest.source)
        let minor = try #require(Int(version.split(separator: ".").last ?? ""))
        let rounds = minor >= 11 ? 1 : 2
        let hash = try SipHash.cpythonSourceHash(source, magic: entry.magic, compressionRounds: rounds)
        #expect(hash.hexString == expected)
        let otherRounds = try SipHash.cpythonSourceHash(source, magic: entry.magic, compressionRounds: 3 - rounds)
        #expect(otherRounds.hexString != expected)
    }
}

/// testdata/pyc/manifest.json, written by scripts/make-pyc-fixtures.sh.
struct PycFixtureManifest: Decodable {
    struct Version: Decodable {
        let version: String
        let cacheTag: String
        let magic: UInt16
        let sourceHash: String?
        let files: [String: String]
    }

    let source: String
    let sourceMtime: Int64
    let sourceSize: Int64
    let versions: [Version]

    /// The package root is three levels above this file: Tests/HashingTests/SipHasherTests.swift.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("testdata/pyc")

    static func load() throws -> PycFixtureManifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try decoder.decode(PycFixtureManifest.self, from: data)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}
