import Foundation
import PythonMinimizer
import Testing

/// The Codable forms `--cache` keeps: a scan's entries round-trip exactly; a plan's canonical encoding does not depend
/// on the order its tables were filled in.
@Suite struct LayerCodingTests {
    static let entries = [
        LayerEntry(
            path: ImagePath("usr/lib/python3.11/m.py"), kind: .regular, size: 6,
            metadata: EntryMetadata(
                permissions: 0o644, uid: 1, gid: 2, mtime: 1_700_000_000, mtimeNanoseconds: 5,
                xattrs: [XattrPair(name: "user.x", value: [0, 255])]),
            contentDigest: [UInt8](repeating: 0xab, count: 32), sourceHashes: [3495: [1, 2, 3], 3413: [9]],
            compiles: true),
        LayerEntry(
            path: ImagePath(tarName: [0x66, 0xff, 0x2e, 0x70, 0x79]), kind: .hardlink, size: 0,
            hardlinkTarget: ImagePath("usr/lib/python3.11/m.py")),
        LayerEntry(
            path: ImagePath("usr/lib/python3.11/__pycache__/m.cpython-311.pyc"), kind: .regular, size: 16,
            pycHeaderBytes: [0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0], isSparse: true),
        LayerEntry(path: ImagePath("usr/lib"), kind: .directory, size: 0),
    ]

    @Test func scanEntriesRoundTrip() throws {
        let bytes = try JSONEncoder().encode(Self.entries)
        #expect(try JSONDecoder().decode([LayerEntry].self, from: bytes) == Self.entries)
    }

    @Test func planEncodingIsCanonical() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var forward = LayerPlan()
        var backward = LayerPlan()
        let indexes = Array(0..<200)
        for index in indexes {
            forward.actions[index] = .drop(.bytecode)
            forward.hidesLowerCopy.insert(index)
        }
        for index in indexes.reversed() {
            backward.actions[index] = .drop(.bytecode)
            backward.hidesLowerCopy.insert(index)
        }
        #expect(try encoder.encode(forward) == encoder.encode(backward))
        var other = forward
        other.actions[7] = .move(to: ImagePath("usr/lib/python3.11/m.pyc"))
        #expect(try encoder.encode(other) != encoder.encode(forward))
    }
}
