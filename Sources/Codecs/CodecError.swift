/// Failures of compression and decompression, with the C library's own message.
public enum CodecError: Error, Equatable, CustomStringConvertible {
    /// The compressed data ended before the end of the stream.
    case truncated(Compression)
    /// The compressed data is not a valid stream; `message` is the library's reason.
    case corrupt(Compression, message: String)
    /// The library itself failed (memory, parameters, version) in `call`.
    case library(Compression, call: String, message: String)
    /// The level is outside what the codec accepts.
    case unsupportedLevel(Compression, level: Int32, levels: ClosedRange<Int32>)
    /// A compressor was written to after `finish()`.
    case writeAfterFinish(Compression)

    public var description: String {
        switch self {
        case .truncated(.gzip): "truncated gzip stream: the data ends before the gzip trailer"
        case .truncated(.zstd): "truncated zstd stream: the data ends before the end of a zstd frame"
        case .truncated(let codec): "truncated \(codec) stream"
        case .corrupt(let codec, let message): "corrupt \(codec) stream: \(message)"
        case .library(let codec, let call, let message): "\(codec): \(call) failed: \(message)"
        case .unsupportedLevel(let codec, let level, let levels):
            "\(codec) level \(level) is not supported; use \(levels.lowerBound) to \(levels.upperBound)"
        case .writeAfterFinish(let codec): "\(codec) stream written after finish()"
        }
    }
}
