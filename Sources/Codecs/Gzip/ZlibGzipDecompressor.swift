import ByteIO
import CZlib

/// Decompresses a gzip stream of one or more members with zlib, checking each member's CRC-32 and length trailer.
///
/// The fallback inflater: `GzipDecompressor` is ISA-L's where the build finds ISA-L (see Package.swift), this one
/// elsewhere. Both are tested on every build.
public final class ZlibGzipDecompressor: ByteSource, StickyFailure {
    private let upstream: ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var upstreamEnded = false
    // A stream needs at least one member, so an empty input is truncated, as `gzip -d` says too.
    private var memberOpen = true
    private var ended = false
    var failure: (any Error)?

    /// Reads gzip data from `upstream`.
    public init(upstream: ByteSource) throws {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        do {
            // windowBits 31: a 32 KiB window (15) and a gzip wrapper only (16); a bare zlib stream is an error.
            try checkZlib(ocislim_inflateInit2(stream, 31), "inflateInit2", stream: stream)
        } catch {
            stream.deallocate()
            throw error
        }
        self.upstream = upstream
        self.stream = stream
        self.input = .allocate(byteCount: codecBufferSize, alignment: 16)
    }

    deinit {
        // inflateEnd only fails for a stream that was never initialized, which init rules out.
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        guard let base = buffer.baseAddress, buffer.count > 0, !ended else { return 0 }
        return try recordingFailure { try inflateSome(into: base, capacity: min(buffer.count, Int(UInt32.max))) }
    }

    /// Inflates until at least one byte is produced or the last member has ended; returns the bytes produced.
    private func inflateSome(into base: UnsafeMutableRawPointer, capacity: Int) throws -> Int {
        while true {
            if stream.pointee.avail_in == 0 && !upstreamEnded { try refill() }
            if stream.pointee.avail_in == 0 && upstreamEnded {
                guard !memberOpen else { throw CodecError.truncated(.gzip) }
                ended = true
                return 0
            }
            if !memberOpen {
                // More bytes after a member's trailer must be another member; inflate rejects anything else.
                try checkZlib(inflateReset(stream), "inflateReset", stream: stream)
                memberOpen = true
            }
            stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(capacity)
            // zlib checks the member's CRC-32 and length before it returns Z_STREAM_END.
            let result = try checkZlib(
                inflate(stream, Z_NO_FLUSH),
                "inflate",
                stream: stream,
                allowing: [.ok, .streamEnd, .noProgress]
            )
            stream.pointee.next_out = nil
            let produced = capacity - Int(stream.pointee.avail_out)
            if result == .streamEnd { memberOpen = false }
            if produced > 0 { return produced }
        }
    }

    /// Reads the next chunk of compressed bytes from upstream into the input buffer.
    private func refill() throws {
        let count = try upstream.read(into: input)
        guard count > 0 else {
            upstreamEnded = true
            return
        }
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(count)
    }
}

@available(*, unavailable)
extension ZlibGzipDecompressor: Sendable {}
