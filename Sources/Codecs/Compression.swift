import ByteIO

/// The compression of a stream or a layer blob: uncompressed, gzip or zstd. The one name for the concept: media
/// types map to it (OCIImage's `MediaType`), the command line spells it (`none`, `gzip`, `zstd`), and the codecs here
/// read and write it.
public enum Compression: String, Sendable, Codable, CaseIterable {
    case uncompressed = "none"
    case gzip
    case zstd
}

extension Compression {
    /// Sniffs the codec from the first bytes of a stream: 1f 8b → gzip, 28 b5 2f fd → zstd, else none.
    public static func sniff(_ prefix: [UInt8]) -> Compression {
        if prefix.starts(with: [0x1f, 0x8b]) { return .gzip }
        if prefix.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        return .uncompressed
    }

    /// The level used when none is given: gzip 5 (libdeflate's; the size of zlib's 6, Docker's default), zstd 3 (zstd's
    /// default); nil for `.uncompressed`.
    public var defaultLevel: Int32? {
        switch self {
        case .uncompressed: nil
        case .gzip: GzipMemberCompressor.defaultLevel
        case .zstd: ZstdCompressor.defaultLevel
        }
    }

    /// The levels the codec accepts; nil for `.uncompressed`.
    public var levels: ClosedRange<Int32>? {
        switch self {
        case .uncompressed: nil
        case .gzip: GzipMemberCompressor.levels
        case .zstd: ZstdCompressor.levels
        }
    }
}

/// A ByteSource that decompresses another ByteSource; `.uncompressed` returns `upstream` itself.
///
/// With `threads` of 2 or more, reading `upstream` and decompressing it run ahead on a thread of their own
/// (`ReadAheadSource`), so they overlap with whatever the caller does with the bytes.
public func makeDecompressingSource(_ codec: Compression, upstream: ByteSource, threads: Int = 1) throws -> ByteSource {
    let source: ByteSource =
        switch codec {
        case .uncompressed: upstream
        case .gzip: try GzipDecompressor(upstream: upstream)
        case .zstd: try ZstdDecompressor(upstream: upstream)
        }
    return threads > 1 ? ReadAheadSource(upstream: source) : source
}

/// A ByteSink that compresses into another ByteSink; `.uncompressed` returns `downstream` itself and ignores `level`.
///
/// `threads` (default: every core) compress at once; the bytes written are the same whatever their number.
public func makeCompressingSink(_ codec: Compression, level: Int32? = nil, threads: Int? = nil, downstream: ByteSink)
    throws
    -> ByteSink
{
    switch codec {
    case .uncompressed: downstream
    case .gzip:
        try GzipMemberCompressor(
            level: level ?? GzipMemberCompressor.defaultLevel, threads: threads, downstream: downstream)
    case .zstd:
        try ZstdCompressor(level: level ?? ZstdCompressor.defaultLevel, threads: threads, downstream: downstream)
    }
}

/// The size of each codec's internal input or output buffer; memory stays bounded whatever the stream's length.
let codecBufferSize = 256 * 1024
