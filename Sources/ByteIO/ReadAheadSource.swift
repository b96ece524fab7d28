import Foundation

/// Reads another source ahead on a thread of its own, so the work behind it (inflating, verifying a blob's digest)
/// runs on another core than the work of its reader (parsing tar, hashing, compressing).
///
/// At most `depth` chunks of `chunkSize` bytes wait ready, so memory stays bounded whatever the stream's length. From
/// `init` on, only the background thread touches `upstream`. An upstream error reaches the reader after every byte
/// read before it. Dropping the source early stops the thread and waits for it.
public final class ReadAheadSource: ByteSource {
    private let buffers: ChunkBuffers
    /// The chunk being read out, and how far.
    private var current: ChunkBuffers.Chunk?
    private var offset = 0

    /// Starts reading `upstream` in the background.
    public init(upstream: ByteSource, chunkSize: Int = 1 << 20, depth: Int = 3) {
        buffers = ChunkBuffers(chunkSize: max(1, chunkSize), count: max(1, depth) + 1)
        let buffers = buffers
        nonisolated(unsafe) let upstream = upstream
        let thread = Thread { buffers.fill(from: upstream) }
        thread.name = "ocislim read-ahead"
        thread.start()
    }

    deinit {
        buffers.stop()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if current == nil {
            current = try buffers.nextReady()
            offset = 0
        }
        guard let chunk = current else { return 0 }
        let count = min(buffer.count, chunk.count - offset)
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk.bytes[offset..<(offset + count)]))
        offset += count
        if offset == chunk.count {
            buffers.release(chunk)
            current = nil
        }
        return count
    }
}

@available(*, unavailable)
extension ReadAheadSource: Sendable {}

/// The chunks shared by a `ReadAheadSource` and its thread: free ones, ready ones, and how the stream ended.
private final class ChunkBuffers: @unchecked Sendable {
    struct Chunk {
        let bytes: UnsafeMutableRawBufferPointer
        var count: Int
    }

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var free: [UnsafeMutableRawBufferPointer]
    private var ready: [Chunk] = []
    private var all: [UnsafeMutableRawBufferPointer]
    private var ended = false
    private var failure: (any Error)?
    private var stopping = false
    private var threadExited = false

    init(chunkSize: Int, count: Int) {
        all = (0..<count).map { _ in .allocate(byteCount: chunkSize, alignment: 64) }
        free = all
    }

    deinit {
        for chunk in all { chunk.deallocate() }
    }

    /// The background thread: fills free chunks from `upstream` until it ends, fails or the reader stops.
    func fill(from upstream: ByteSource) {
        while true {
            condition.lock()
            while free.isEmpty && !stopping { condition.wait() }
            if stopping {
                threadExited = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let bytes = free.removeLast()
            condition.unlock()

            // Fill the chunk; bytes read before an error still reach the reader, ahead of the error.
            var count = 0
            var error: (any Error)?
            do {
                while count < bytes.count {
                    let read = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[count...]))
                    if read == 0 { break }
                    count += read
                }
            } catch let thrown {
                error = thrown
            }

            condition.lock()
            if count > 0 { ready.append(Chunk(bytes: bytes, count: count)) } else { free.append(bytes) }
            let done = error != nil || count < bytes.count
            if done {
                failure = error
                ended = true
                threadExited = true
            }
            condition.broadcast()
            condition.unlock()
            if done { return }
        }
    }

    /// The next ready chunk; nil at the end of the stream; throws the upstream's error after the bytes before it.
    func nextReady() throws -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !ended { condition.wait() }
        if !ready.isEmpty { return ready.removeFirst() }
        if let failure { throw failure }
        return nil
    }

    /// Gives a read-out chunk back to the thread.
    func release(_ chunk: Chunk) {
        condition.lock()
        free.append(chunk.bytes)
        condition.broadcast()
        condition.unlock()
    }

    /// Asks the thread to stop and waits until it has (it finishes the read it is in).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !threadExited { condition.wait() }
        condition.unlock()
    }
}
