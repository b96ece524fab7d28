import ByteIO
import CDeflate

import class Foundation.ProcessInfo

/// Compresses into a series of gzip members, one per 1 MiB of input, on several cores at once, with libdeflate.
///
/// The input is cut into fixed 1 MiB blocks counted from the start of the stream, and each block becomes one
/// complete gzip member (RFC 1952 §2.2: a gzip file is a series of members; every reader concatenates them — GNU
/// gzip, zlib's `gzread`, Python's `gzip`, Go's `compress/gzip` as used by containerd, Docker, skopeo and umoci, and
/// eStargz layers rely on it). The bytes depend only on the input, the level and the libdeflate version — never on
/// the thread count or on how the input was split into writes.
///
/// Why this scheme: on the test image's 296 MB base layer, libdeflate level 5 in 1 MiB members is 0.995× the size
/// of `pigz -6` and about 3× faster per core than zlib's level 6 in pigz-style primed blocks; ISA-L's igzip is
/// faster still but 1.10× larger at its best level (BENCHMARKS.md, "gzip writers").
///
/// With one thread every block is compressed in-line. With more, full blocks go to `threads` worker threads while
/// the writer goes on filling the next block (as pigz does), and members are written downstream in order by the
/// writer's own thread.
public final class GzipMemberCompressor: ByteSink, StickyFailure {
    /// Input bytes per gzip member.
    public static let blockSize = 1 << 20
    /// libdeflate's levels; 10–12 are its slow "near-optimal" parsers.
    public static let levels: ClosedRange<Int32> = 1...12
    /// The level whose output matches zlib's default (6, which gzip, pigz and Docker use) in size: on the test image
    /// libdeflate's 5 writes 0.995× `pigz -6`, its 6 0.989× but 25 % slower (BENCHMARKS.md, "gzip writers").
    public static let defaultLevel: Int32 = 5

    private let downstream: ByteSink
    private let blocks: MemberBlocks
    /// The slot being filled; slots are used, and their members written, in ring order.
    private var filling = 0
    private var wroteMember = false
    private var finished = false
    var failure: (any Error)?

    /// Compresses at `level` with `threads` workers (default: every core) into `downstream`.
    public init(level: Int32 = GzipMemberCompressor.defaultLevel, threads: Int? = nil, downstream: ByteSink) throws {
        guard Self.levels.contains(level) else {
            throw CodecError.unsupportedLevel(.gzip, level: level, levels: Self.levels)
        }
        let threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.downstream = downstream
        blocks = try MemberBlocks(level: level, threads: threads, blockSize: Self.blockSize)
    }

    deinit {
        blocks.stop()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let failure { throw failure }
        guard !finished else { throw CodecError.writeAfterFinish(.gzip) }
        try recordingFailure {
            var rest = bytes
            while !rest.isEmpty {
                let taken = blocks.append(rest, to: filling)
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(taken))
                if blocks.isFull(filling) { try submitFilling() }
            }
        }
    }

    public func finish() throws {
        if let failure { throw failure }
        guard !finished else { return }
        finished = true
        try recordingFailure {
            // An empty stream is still one (empty) member: a gzip file has at least one.
            if !blocks.isEmpty(filling) || !wroteMember { try submitFilling() }
            // Write what is still in flight, oldest first: the slots after `filling`, around the ring.
            for step in 0..<blocks.slotCount {
                try writeMember(of: (filling + step) % blocks.slotCount)
            }
            blocks.stop()
            try downstream.finish()
        }
    }

    /// Hands the filled slot to the workers and moves to the next one, first writing out the member it held.
    private func submitFilling() throws {
        blocks.submit(filling)
        wroteMember = true
        filling = (filling + 1) % blocks.slotCount
        try writeMember(of: filling)
    }

    /// Waits for the slot's member, if it holds one, and writes it downstream.
    private func writeMember(of slot: Int) throws {
        guard let member = try blocks.waitForMember(in: slot) else { return }
        try downstream.write(member)
        blocks.recycle(slot)
    }
}

@available(*, unavailable)
extension GzipMemberCompressor: Sendable {}
