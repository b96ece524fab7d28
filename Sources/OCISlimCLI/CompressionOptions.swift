import ArgumentParser
import Codecs
import OCISlim

/// `--compression` and `--compression-level`, shared by `rewrite` and `audit`.
struct CompressionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "How to compress the layers written.", discussion: CompressionChoice.discussion,
            valueName: "keep|gzip|zstd|none"
        )
    )
    var compression: CompressionChoice = .keep

    @Option(help: ArgumentHelp("The level of every layer written compressed.", discussion: levelHelp, valueName: "n"))
    var compressionLevel: Int32?

    /// What the library is asked for.
    var output: OutputCompression { compression.output }

    func validate() throws {
        do {
            try output.check(level: compressionLevel)
        } catch let error as CompressionError {
            throw ValidationError("\(error).")
        }
    }

    static let levelHelp = """
        gzip \(levelRange(.gzip)), zstd \(levelRange(.zstd)): higher levels write smaller layers, more slowly \
        (zstd from 19 up also needs far more memory; its negative levels are faster still). With keep, the level \
        must suit the codec of every layer of the image.
        """

    /// "1 to 9 (default 6)", from the codec itself.
    static func levelRange(_ codec: Compression) -> String {
        guard let levels = codec.levels, let level = codec.defaultLevel else { return "none" }
        return "\(levels.lowerBound) to \(levels.upperBound) (default \(level))"
    }
}

/// The choices of `--compression`, with help that says what each costs.
enum CompressionChoice: String, ExpressibleByArgument, CaseIterable {
    case keep, gzip, zstd, none

    var output: OutputCompression {
        switch self {
        case .keep: .keep
        case .gzip: .codec(.gzip)
        case .zstd: .codec(.zstd)
        case .none: .codec(.uncompressed)
        }
    }

    static var allValueDescriptions: [String: String] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.helpText) })
    }

    /// What the choice writes and who can read it.
    var helpText: String {
        switch self {
        case .keep:
            """
            each layer keeps its compression (gzip, zstd or none); changed layers are written at the codec's default \
            level: gzip \(Compression.gzip.defaultLevel.map(String.init) ?? "-") (close to Docker's), zstd \
            \(Compression.zstd.defaultLevel.map(String.init) ?? "-").
            """
        case .gzip: "every layer gzip: what every registry, runtime and tool reads."
        case .zstd:
            """
            every layer zstd: smaller, and quicker to unpack; pulled by containerd 1.5+, Docker 23+ and Podman. OCI \
            manifests only: Docker schema 2 has no zstd layer type, so such images are refused.
            """
        case .none: "every layer an uncompressed tar: largest to store and transfer, nothing to decompress."
        }
    }

    /// What holds for every choice.
    static let discussion = """
        A layer already in the chosen compression, with nothing to change, keeps its blob and digest. Each changed \
        layer is compressed by --jobs threads, with the same bytes whatever their number. Non-distributable layers \
        keep their compression.
        """
}
