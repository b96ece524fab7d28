import Codecs
import OCIImage

/// The compression of the layers a rewrite writes (`--compression`).
public enum OutputCompression: Hashable, Sendable, CustomStringConvertible {
    /// Each layer keeps the codec it has; changed ones are written at the codec's default level (`Compression.defaultLevel`:
    /// for gzip, one close to Docker's).
    case keep
    /// Every layer is written with this codec; a layer already in it with nothing to change keeps its blob.
    case codec(Compression)

    /// `keep`, `gzip`, `zstd` or `none`, as the command line spells it.
    public var description: String {
        switch self {
        case .keep: "keep"
        case .codec(let codec): codec.rawValue
        }
    }

    /// The compression a layer is written with. Non-distributable layers always keep theirs: clients fetch them
    /// from their `urls` by digest, and Docker's foreign layers exist only gzipped.
    func target(for layer: Descriptor, current: Compression) -> Compression {
        guard case .codec(let codec) = self, !MediaType.isNondistributable(layer.mediaType) else { return current }
        return codec
    }

    /// Refuses a level the requested codec does not accept, and any level for uncompressed output.
    public func check(level: Int32?) throws {
        guard let level, case .codec(let codec) = self else { return }
        guard let levels = codec.levels else { throw CompressionError.levelWithoutCompression(level) }
        guard levels.contains(level) else {
            throw CompressionError.unsupportedLevel(level, codec: codec, levels: levels, keptBy: nil)
        }
    }
}

/// Why the requested output compression cannot be written: each is the user's choice to change, found before any
/// layer is read.
public enum CompressionError: Error, Equatable, CustomStringConvertible {
    /// `--compression-level` is outside what a codec that will be written accepts; `keptBy` names the layer that
    /// keeps that codec (under `--compression keep`, or being non-distributable).
    case unsupportedLevel(Int32, codec: Compression, levels: ClosedRange<Int32>, keptBy: Digest?)
    /// A level for `--compression none`.
    case levelWithoutCompression(Int32)
    /// The codec has no layer media type in this manifest's schema (zstd in Docker schema 2).
    case noLayerType(Compression, manifest: Digest, mediaType: String, image: String)

    public var description: String {
        switch self {
        case .unsupportedLevel(let level, let codec, let levels, let layer):
            "compression level \(level) is not a \(codec) level (\(levels.lowerBound) to \(levels.upperBound))"
                + (layer.map { "; layer \($0) keeps its \(codec) compression" } ?? "")
        case .levelWithoutCompression(let level):
            "compression level \(level) given with --compression none: uncompressed layers have no level"
        case .noLayerType(let codec, let manifest, let mediaType, let image):
            "manifest \(manifest) (image \(image)) is Docker schema 2 (\(mediaType)), which has no \(codec) layer "
                + "media type; convert the image to OCI first (skopeo copy --format oci) "
                + "or choose another --compression"
        }
    }
}

extension RewritePipeline {
    /// Checks, from the documents alone, that every layer can be written as asked: the level suits each codec that
    /// will be written, and each manifest has a media type for its layers' new compression.
    func checkCompression() throws {
        try settings.compression.check(level: settings.compressionLevel)
        var warned: Set<Digest> = []
        for image in graph.images {
            for layer in image.manifest.layers {
                guard let current = MediaType.layerCompression(layer.mediaType) else { continue }
                let target = settings.compression.target(for: layer, current: current)
                if case .codec(let codec) = settings.compression, target != codec,
                    warned.insert(layer.digest).inserted
                {
                    warnings.add(
                        "layer \(layer.digest) is non-distributable: it keeps its \(current.rawValue) compression"
                    )
                }
                if let level = settings.compressionLevel, let levels = target.levels,
                    !levels.contains(level)
                {
                    throw CompressionError.unsupportedLevel(
                        level, codec: target, levels: levels, keptBy: layer.digest
                    )
                }
                if image.descriptor.mediaType == MediaType.dockerManifest,
                    MediaType.layerType(layer.mediaType, compressed: target) == nil
                {
                    throw CompressionError.noLayerType(
                        target, manifest: image.descriptor.digest,
                        mediaType: image.descriptor.mediaType, image: image.label
                    )
                }
            }
        }
    }
}

extension Descriptor {
    /// This layer's descriptor for its blob rewritten with `compression`: the same kind of media type (OCI or Docker)
    /// when it has one for that compression, else OCI's (a Docker layer type in an OCI manifest).
    func layer(compressed compression: Compression, digest: Digest, size: Int64) -> Descriptor {
        var descriptor = self
        descriptor.mediaType =
            MediaType.layerType(mediaType, compressed: compression) ?? MediaType.ociLayerType(compression)
        descriptor.digest = digest
        descriptor.size = size
        return descriptor
    }
}
