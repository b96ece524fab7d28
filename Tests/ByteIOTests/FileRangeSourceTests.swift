import ByteIO
import Foundation
import Testing

@Suite struct FileRangeSourceTests {
    private func file(_ bytes: [UInt8]) throws -> (RandomAccessFile, String) {
        let path = NSTemporaryDirectory() + "ocislim-range-" + UUID().uuidString
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (try RandomAccessFile(path: path), path)
    }

    @Test func readsOneRangeOfTheFile() throws {
        let (file, path) = try file(Array(0..<200).map { UInt8($0) })
        defer { unlink(path) }
        let bytes = try FileRangeSource(file: file, offset: 10, length: 5).readAll(limit: 100)
        #expect(bytes == [10, 11, 12, 13, 14])
        #expect(try FileRangeSource(file: file, offset: 200, length: 0).readAll(limit: 100).isEmpty)
    }

    @Test func aRangePastTheEndOfTheFileFailsInsteadOfEndingShort() throws {
        let (file, path) = try file([1, 2, 3])
        defer { unlink(path) }
        #expect(throws: ByteIOError.endOfFile(path: path, offset: 3)) {
            _ = try FileRangeSource(file: file, offset: 1, length: 5).readAll(limit: 100)
        }
    }

    @Test func onlyRegularFilesAreOpened() throws {
        #expect(throws: ByteIOError.notRegularFile(path: "/tmp", kind: .directory)) {
            _ = try RandomAccessFile(path: "/tmp")
        }
    }

    @Test func aSpilledFileHasNoNameAndHoldsEveryByte() throws {
        let directory = NSTemporaryDirectory() + "ocislim-spill-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let file = try RandomAccessFile.spill(MemorySource(bytes), into: directory, path: "input")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        #expect(file.size == Int64(bytes.count))
        #expect(file.path == "input")
        #expect(try FileRangeSource(file: file, offset: 0, length: file.size).readAll(limit: 1 << 20) == bytes)
    }

    @Test func aSpillIntoAMissingDirectoryFailsNamingIt() throws {
        #expect(throws: ByteIOError.write(path: "/nonexistent-ocislim", errno: ENOENT)) {
            _ = try RandomAccessFile.spill(MemorySource([1]), into: "/nonexistent-ocislim", path: "input")
        }
    }
}
