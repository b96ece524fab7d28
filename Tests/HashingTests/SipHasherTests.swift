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
}
