import ByteIO
import CZlib

/// Compresses into another sink as one reproducible gzip member: the same bytes and level give the same output.
public final class GzipCompressor: ByteSink, StickyFailure {
    /// Docker's default level.
    public static let defaultLevel: Int32 = 6
    /// The levels zlib accepts.
    public static let levels: ClosedRange<Int32> = 0...9

    private let downstream: ByteSink
    private let stream: UnsafeMutablePointer<z_stream>
    // deflateSetHeader keeps this pointer until the header is written, so it lives as long as the stream.
    private let header: UnsafeMutablePointer<gz_header>
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false
    var failure: (any Error)?

    /// Starts a gzip member at `level` that writes its compressed bytes to `downstream`.
    public init(level: Int32 = GzipCompressor.defaultLevel, downstream: ByteSink) throws {
        guard Self.levels.contains(level) else {
            throw CodecError.unsupportedLevel(.gzip, level: level, levels: Self.levels)
        }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let header = UnsafeMutablePointer<gz_header>.allocate(capacity: 1)
        // The pinned header: flags 0 (no name, comment, extra or header CRC), mtime 0, and OS 255 ("unknown"),
        // the byte Go's compress/gzip writes, instead of the build machine's OS.
        header.initialize(to: gz_header())
        header.pointee.os = 255
        do {
            // windowBits 31 is a 32 KiB window (15) plus 16 for the gzip wrapper; memLevel 8 is zlib's default.
            try checkZlib(
                ocislim_deflateInit2(stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY),
                "deflateInit2",
                stream: stream
            )
        } catch {
            stream.deallocate()
            header.deallocate()
            throw error
        }
        do {
            try checkZlib(deflateSetHeader(stream, header), "deflateSetHeader", stream: stream)
        } catch {
            deflateEnd(stream)
            stream.deallocate()
            header.deallocate()
            throw error
        }
        self.downstream = downstream
        self.stream = stream
        self.header = header
        self.output = .allocate(byteCount: codecBufferSize, alignment: 16)
    }

    deinit {
        // deflateEnd reports Z_DATA_ERROR for a stream dropped before finish(); a deinit has nobody to tell.
        deflateEnd(stream)
        stream.deallocate()
        header.deallocate()
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let failure { throw failure }
        guard !finished else { throw CodecError.writeAfterFinish(.gzip) }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        try recordingFailure {
            defer {
                // Never leave zlib pointing into the caller's memory.
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            var offset = 0
            while offset < bytes.count {
                // avail_in is 32 bits wide; feed larger writes in slices.
                let slice = min(bytes.count - offset, Int(UInt32.max))
                stream.pointee.next_in = UnsafeMutablePointer(
                    mutating: (base + offset).assumingMemoryBound(to: Bytef.self)
                )
                stream.pointee.avail_in = uInt(slice)
                // With Z_NO_FLUSH deflate takes all input whenever it returns with output space left.
                repeat {
                    try deflateStep(flush: Z_NO_FLUSH, allowing: [.ok, .noProgress])
                } while stream.pointee.avail_out == 0
                offset += slice
            }
        }
    }

    public func finish() throws {
        if let failure { throw failure }
        guard !finished else { return }
        // Marked first: a Z_FINISH that failed halfway cannot be resumed, so a second call must not try.
        finished = true
        try recordingFailure {
            while try deflateStep(flush: Z_FINISH, allowing: [.ok, .streamEnd]) != .streamEnd {}
            try downstream.finish()
        }
    }

    /// Runs deflate once into the output buffer and writes what it produced downstream.
    @discardableResult
    private func deflateStep(flush: Int32, allowing allowed: Set<ZlibResult>) throws -> ZlibResult {
        let capacity = output.count
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(capacity)
        let result = try checkZlib(deflate(stream, flush), "deflate", stream: stream, allowing: allowed)
        let produced = capacity - Int(stream.pointee.avail_out)
        if produced > 0 { try downstream.write(UnsafeRawBufferPointer(rebasing: output[..<produced])) }
        return result
    }

}

@available(*, unavailable)
extension GzipCompressor: Sendable {}
