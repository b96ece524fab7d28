import ByteIO

/// The bytes of the raw tar stream that libarchive has pulled but the editor has not yet copied or dropped.
///
/// Its size stays bounded by libarchive's read-ahead because the editor settles bytes as soon as libarchive
/// has consumed them.
final class RawWindow {
    private var storage: [UInt8] = []
    private var head = 0
    /// Stream offset of the first byte held.
    private(set) var start: Int64 = 0

    /// Stream offset just past the last byte held.
    var end: Int64 { start + Int64(storage.count - head) }

    func append(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
    }

    /// Copies the held bytes up to stream offset `offset` to `sink` (or drops them when `sink` is nil).
    func settle(upTo offset: Int64, into sink: ByteSink?) throws {
        precondition(offset <= end, "settling bytes libarchive has not pulled: \(offset) > \(end) (start \(start))")
        guard offset > start else { return }
        let count = Int(offset - start)
        if let sink {
            try storage.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[head..<(head + count)])) }
        }
        head += count
        start = offset
        // Compact once the settled prefix dominates, so appends stay amortised O(1) and memory stays bounded.
        if head > 1 << 20 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// The held bytes from stream offset `offset`, `count` of them; nil when they are not all held.
    func bytes(at offset: Int64, count: Int) -> ArraySlice<UInt8>? {
        guard offset >= start, count >= 0, offset + Int64(count) <= end else { return nil }
        let first = head + Int(offset - start)
        return storage[first..<(first + count)]
    }

    /// The number of bytes held; for tests of the memory bound.
    var heldCount: Int { storage.count - head }
}
