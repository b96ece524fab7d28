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
}
