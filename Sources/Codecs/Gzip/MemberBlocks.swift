import CDeflate
import Foundation

/// The ring of 1 MiB blocks behind `GzipMemberCompressor`, and the worker threads that turn them into gzip members.
///
/// A slot is free (being filled), queued (waiting for or under compression) or done (its member waits to be
/// written). With one thread there are no workers: `submit` compresses in-line. Memory: `slotCount` × (block + its
/// worst-case member), `threads + 2` slots — enough to keep every worker busy while the writer fills one block and
/// writes out another.
final class MemberBlocks: @unchecked Sendable {
    enum State {
        case free, queued
        case done(size: Int)
    }

    let slotCount: Int
    private let blockSize: Int
    private let memberBound: Int
    private let inputs: UnsafeMutableRawBufferPointer
    private let outputs: UnsafeMutableRawBufferPointer
    /// Bytes filled in each slot; touched only by the writer's thread (workers get the count with the slot).
    private var filled: [Int]
    /// One libdeflate compressor per worker (or one for in-line compression).
    private let compressors: [OpaquePointer]
    private let threaded: Bool

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var states: [State]
    /// Queued slots and their filled byte counts, oldest first.
    private var queue: [(slot: Int, count: Int)] = []
    private var stopping = false
    private var runningWorkers = 0

    init(level: Int32, threads: Int, blockSize: Int) throws {
        var compressors: [OpaquePointer] = []
        for _ in 0..<threads {
            guard let compressor = libdeflate_alloc_compressor(level) else {
                compressors.forEach(libdeflate_free_compressor)
                throw CodecError.library(
                    .gzip, call: "libdeflate_alloc_compressor", message: "cannot allocate a level \(level) compressor"
                )
            }
            compressors.append(compressor)
        }
        self.compressors = compressors
        self.blockSize = blockSize
        threaded = threads > 1
        slotCount = threaded ? threads + 2 : 1
        memberBound = libdeflate_gzip_compress_bound(compressors[0], blockSize)
        inputs = .allocate(byteCount: slotCount * blockSize, alignment: 64)
        outputs = .allocate(byteCount: slotCount * memberBound, alignment: 64)
        filled = Array(repeating: 0, count: slotCount)
        states = Array(repeating: .free, count: slotCount)
        guard threaded else { return }
        runningWorkers = threads
        for worker in 0..<threads {
            let thread = Thread { [self] in work(with: self.compressors[worker]) }
            thread.name = "ocislim gzip \(worker)"
            thread.start()
        }
    }

    deinit {
        compressors.forEach(libdeflate_free_compressor)
        inputs.deallocate()
        outputs.deallocate()
    }

    // MARK: The writer's side

    /// Copies as much of `bytes` as fits into the slot; returns how much.
    func append(_ bytes: UnsafeRawBufferPointer, to slot: Int) -> Int {
        let count = min(bytes.count, blockSize - filled[slot])
        let start = slot * blockSize + filled[slot]
        UnsafeMutableRawBufferPointer(rebasing: inputs[start..<(start + count)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(count)))
        filled[slot] += count
        return count
    }

    func isFull(_ slot: Int) -> Bool { filled[slot] == blockSize }
    func isEmpty(_ slot: Int) -> Bool { filled[slot] == 0 }

    /// Queues the slot's block for compression (or compresses it now, without workers).
    func submit(_ slot: Int) {
        guard threaded else {
            states[slot] = .done(size: compress(slot, count: filled[slot], with: compressors[0]))
            return
        }
        condition.lock()
        states[slot] = .queued
        queue.append((slot, filled[slot]))
        condition.signal()
        condition.unlock()
    }

    /// Waits until the slot's member is compressed and returns it; nil for a free slot.
    func waitForMember(in slot: Int) throws -> UnsafeRawBufferPointer? {
        condition.lock()
        defer { condition.unlock() }
        while case .queued = states[slot] { condition.wait() }
        guard case .done(let size) = states[slot] else { return nil }
        guard size > 0 else {
            throw CodecError.library(.gzip, call: "libdeflate_gzip_compress", message: "output larger than its bound")
        }
        return UnsafeRawBufferPointer(rebasing: outputs[(slot * memberBound)..<(slot * memberBound + size)])
    }

    /// Frees a written slot for filling.
    func recycle(_ slot: Int) {
        condition.lock()
        states[slot] = .free
        condition.unlock()
        filled[slot] = 0
    }

    /// Stops the workers, dropping queued blocks, and waits until none touches a buffer any more.
    func stop() {
        condition.lock()
        stopping = true
        queue.removeAll()
        condition.broadcast()
        while runningWorkers > 0 { condition.wait() }
        condition.unlock()
    }

    // MARK: The workers' side

    private func work(with compressor: OpaquePointer) {
        condition.lock()
        while true {
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping { break }
            let (slot, count) = queue.removeFirst()
            condition.unlock()
            let size = compress(slot, count: count, with: compressor)
            condition.lock()
            states[slot] = .done(size: size)
            condition.broadcast()
        }
        runningWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Compresses the slot's first `count` bytes into its output as one gzip member; 0 if it did not fit the bound.
    private func compress(_ slot: Int, count: Int, with compressor: OpaquePointer) -> Int {
        libdeflate_gzip_compress(
            compressor, inputs.baseAddress.map { $0 + slot * blockSize }, count,
            outputs.baseAddress.map { $0 + slot * memberBound }, memberBound
        )
    }
}
