import ByteIO
import CZstd

/// Compresses into another sink as one zstd frame, single-threaded so the output depends only on bytes and level.
public final class ZstdCompressor: ByteSink, StickyFailure {
    /// zstd's own default level.
    public static let defaultLevel: Int32 = 3
    /// The levels libzstd accepts, negative "fast" levels included.
    public static var levels: ClosedRange<Int32> { ZSTD_minCLevel()...ZSTD_maxCLevel() }

    private let downstream: ByteSink
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false
    var failure: (any Error)?

    /// Starts a zstd frame at `level` that writes its compressed bytes to `downstream`.
    public init(level: Int32 = ZstdCompressor.defaultLevel, threads: Int? = nil, downstream: ByteSink) throws {
        guard Self.levels.contains(level) else {
            throw CodecError.unsupportedLevel(.zstd, level: level, levels: Self.levels)
        }
        guard let context = ZSTD_createCCtx() else {
            throw CodecError.library(.zstd, call: "ZSTD_createCCtx", message: "cannot allocate a compression context")
        }
        do {
            try checkZstd(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "ZSTD_CCtx_setParameter")
            // Worker threads would make the frame's block boundaries depend on timing; keep compression in-line.
            try checkZstd(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, 0), "ZSTD_CCtx_setParameter")
        } catch {
            ZSTD_freeCCtx(context)
            throw error
        }
        self.downstream = downstream
        self.context = context
        self.output = .allocate(byteCount: codecBufferSize, alignment: 16)
    }

    deinit {
        // ZSTD_freeCCtx fails only for a context still in use by workers, and there are none.
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let failure { throw failure }
        guard !finished else { throw CodecError.writeAfterFinish(.zstd) }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        try recordingFailure {
            var input = ZSTD_inBuffer(src: base, size: bytes.count, pos: 0)
            repeat {
                try compressStep(&input, directive: ZSTD_e_continue)
            } while input.pos < input.size
        }
    }

    public func finish() throws {
        if let failure { throw failure }
        guard !finished else { return }
        // Marked first: an ended frame that failed halfway cannot be resumed, so a second call must not try.
        finished = true
        try recordingFailure {
            var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
            // ZSTD_e_end returns how many bytes it still has to flush; 0 means the frame is complete.
            while try compressStep(&input, directive: ZSTD_e_end) != 0 {}
            try downstream.finish()
        }
    }

    /// Runs ZSTD_compressStream2 once into the output buffer, writes what it produced downstream and returns its
    /// hint (for `ZSTD_e_end`, the bytes left to flush).
    @discardableResult
    private func compressStep(_ input: inout ZSTD_inBuffer, directive: ZSTD_EndDirective) throws -> Int {
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = try checkZstd(ZSTD_compressStream2(context, &out, &input, directive), "ZSTD_compressStream2")
        if out.pos > 0 { try downstream.write(UnsafeRawBufferPointer(rebasing: output[..<out.pos])) }
        return remaining
    }

}

@available(*, unavailable)
extension ZstdCompressor: Sendable {}
