import ByteIO
import CZstd

/// Decompresses a zstd stream of one or more frames (skippable frames included).
public final class ZstdDecompressor: ByteSource, StickyFailure {
    private let upstream: ByteSource
    private let context: OpaquePointer
    private let inputStorage: UnsafeMutableRawBufferPointer
    private var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var upstreamEnded = false
    // A stream needs at least one frame, so an empty input is truncated, as `zstd -d` says too.
    private var frameOpen = true
    // The last call filled the caller's buffer mid-frame, so zstd may hold decoded bytes without needing input.
    private var outputPending = false
    private var ended = false
    var failure: (any Error)?

    /// Reads zstd data from `upstream`.
    public init(upstream: ByteSource) throws {
        guard let context = ZSTD_createDCtx() else {
            throw CodecError.library(.zstd, call: "ZSTD_createDCtx", message: "cannot allocate a decompression context")
        }
        self.upstream = upstream
        self.context = context
        self.inputStorage = .allocate(byteCount: codecBufferSize, alignment: 16)
    }

    deinit {
        // ZSTD_freeDCtx cannot fail for a context that ZSTD_createDCtx made.
        ZSTD_freeDCtx(context)
        inputStorage.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        guard let base = buffer.baseAddress, buffer.count > 0, !ended else { return 0 }
        return try recordingFailure { try decompressSome(into: base, capacity: buffer.count) }
    }

    /// Decompresses until at least one byte is produced or the last frame has ended; returns the bytes produced.
    private func decompressSome(into base: UnsafeMutableRawPointer, capacity: Int) throws -> Int {
        while true {
            let inputLeft = input.pos < input.size
            if !inputLeft && !outputPending {
                if !upstreamEnded { try refill() }
                if upstreamEnded {
                    guard !frameOpen else { throw CodecError.truncated(.zstd) }
                    ended = true
                    return 0
                }
            }
            var out = ZSTD_outBuffer(dst: base, size: capacity, pos: 0)
            // The hint is 0 exactly when a frame is complete and fully flushed; bytes after it start a new frame.
            let hint = try checkZstd(ZSTD_decompressStream(context, &out, &input), "ZSTD_decompressStream")
            frameOpen = hint != 0
            outputPending = frameOpen && out.pos == out.size
            if out.pos > 0 { return out.pos }
        }
    }

    /// Reads the next chunk of compressed bytes from upstream into the input buffer.
    private func refill() throws {
        let count = try upstream.read(into: inputStorage)
        guard count > 0 else {
            upstreamEnded = true
            return
        }
        input = ZSTD_inBuffer(src: inputStorage.baseAddress, size: count, pos: 0)
    }
}

@available(*, unavailable)
extension ZstdDecompressor: Sendable {}
