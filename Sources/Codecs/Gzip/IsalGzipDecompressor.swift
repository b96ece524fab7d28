#if OCISLIM_ISAL
    import ByteIO
    import CIsal

    /// The fastest gzip inflater this build has: ISA-L's.
    public typealias GzipDecompressor = IsalGzipDecompressor

    /// Decompresses a gzip stream of one or more members with ISA-L's streaming inflate, checking each member's header
    /// and its CRC-32 and length trailer.
    ///
    /// ISA-L inflates three to four times faster than zlib on the test image's base layer (`make bench`, components),
    /// and every layer is inflated twice: once to plan, once to rewrite.
    public final class IsalGzipDecompressor: ByteSource, StickyFailure {
        private let upstream: ByteSource
        private let state: UnsafeMutablePointer<inflate_state>
        private let input: UnsafeMutableRawBufferPointer
        private var upstreamEnded = false
        /// The current member's trailer has been read and checked.
        private var memberEnded = false
        /// How many of the current member's first bytes (ID1, ID2, CM) have been checked; ISA-L would wait for a whole
        /// header before it judges one, so a short tail of junk would look like truncation.
        private var magicChecked = 0
        private static let magic: [UInt8] = [0x1f, 0x8b, 0x08]
        private var ended = false
        var failure: (any Error)?

        /// Reads gzip data from `upstream`.
        public init(upstream: ByteSource) throws {
            state = .allocate(capacity: 1)
            isal_inflate_init(state)
            // ISAL_GZIP: parse the gzip header and check the trailer's CRC-32 and length.
            state.pointee.crc_flag = OCISLIM_ISAL_GZIP
            self.upstream = upstream
            input = .allocate(byteCount: codecBufferSize, alignment: 16)
        }

        deinit {
            state.deallocate()
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
                if state.pointee.avail_in == 0 && !upstreamEnded { try refill() }
                if memberEnded {
                    guard state.pointee.avail_in > 0 else {
                        if upstreamEnded {
                            ended = true
                            return 0
                        }
                        continue
                    }
                    // More bytes after a member's trailer must be another member; its header check rejects anything else.
                    startNextMember()
                }
                let available = state.pointee.avail_in
                try checkMagic()
                state.pointee.next_out = base.assumingMemoryBound(to: UInt8.self)
                state.pointee.avail_out = UInt32(capacity)
                let result = isal_inflate(state)
                state.pointee.next_out = nil
                try Self.check(result)
                magicChecked = min(Self.magic.count, magicChecked + Int(available - state.pointee.avail_in))
                let produced = capacity - Int(state.pointee.avail_out)
                if state.pointee.block_state == ISAL_BLOCK_FINISH { memberEnded = true }
                if produced > 0 { return produced }
                if !memberEnded && state.pointee.avail_in == 0 && upstreamEnded { throw CodecError.truncated(.gzip) }
            }
        }

        /// Resets the inflater for another member, keeping the unread input.
        private func startNextMember() {
            let (next, available) = (state.pointee.next_in, state.pointee.avail_in)
            isal_inflate_reset(state)
            state.pointee.total_out = 0
            state.pointee.crc_flag = OCISLIM_ISAL_GZIP
            (state.pointee.next_in, state.pointee.avail_in) = (next, available)
            memberEnded = false
            magicChecked = 0
        }

        /// Checks the member's magic and method bytes among those about to be inflated.
        private func checkMagic() throws {
            guard magicChecked < Self.magic.count, let next = state.pointee.next_in else { return }
            for offset in 0..<min(Self.magic.count - magicChecked, Int(state.pointee.avail_in)) {
                let position = magicChecked + offset
                guard next[offset] == Self.magic[position] else {
                    throw CodecError.corrupt(
                        .gzip,
                        message: position < 2
                            ? "not a gzip member header" : "compression method \(next[offset]) is not deflate"
                    )
                }
            }
        }

        /// Reads the next chunk of compressed bytes from upstream into the input buffer.
        private func refill() throws {
            let count = try upstream.read(into: input)
            guard count > 0 else {
                upstreamEnded = true
                return
            }
            state.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
            state.pointee.avail_in = UInt32(count)
        }

        /// Maps ISA-L's result codes to errors; the non-negative ones mean progress.
        private static func check(_ result: Int32) throws {
            let reason: String
            switch result {
            case OCISLIM_ISAL_DECOMP_OK, OCISLIM_ISAL_END_INPUT, OCISLIM_ISAL_OUT_OVERFLOW: return
            case OCISLIM_ISAL_INVALID_WRAPPER: reason = "not a gzip member header"
            case OCISLIM_ISAL_UNSUPPORTED_METHOD: reason = "the member's compression method is not deflate"
            case OCISLIM_ISAL_INCORRECT_CHECKSUM: reason = "CRC-32 or length in the trailer does not match the data"
            case OCISLIM_ISAL_INVALID_BLOCK: reason = "invalid deflate block"
            case OCISLIM_ISAL_INVALID_SYMBOL: reason = "invalid deflate symbol"
            case OCISLIM_ISAL_INVALID_LOOKBACK: reason = "invalid back-reference distance"
            case OCISLIM_ISAL_NEED_DICT: reason = "the stream needs a preset dictionary"
            default: reason = "ISA-L inflate error \(result)"
            }
            throw CodecError.corrupt(.gzip, message: reason)
        }
    }

    @available(*, unavailable)
    extension IsalGzipDecompressor: Sendable {}
#else
    /// The fastest gzip inflater this build has: zlib's (ISA-L was not found when the package was built).
    public typealias GzipDecompressor = ZlibGzipDecompressor
#endif
