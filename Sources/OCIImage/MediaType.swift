// https://github.com/opencontainers/image-spec/blob/main/media-types.md
import Codecs

// https://distribution.github.io/distribution/spec/manifest-v2-2/#media-types

/// The media types the tool knows, and what they mean to it.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociNondistributableLayer = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let ociNondistributableLayerGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociNondistributableLayerZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// Index-like documents: their `manifests` are walked.
    public static func isIndex(_ type: String?) -> Bool { type == ociIndex || type == dockerManifestList }

    /// Image manifests: their layers are rewritten when their config is an image config.
    public static func isManifest(_ type: String?) -> Bool { type == ociManifest || type == dockerManifest }

    /// Container image configs, which carry `rootfs.diff_ids`.
    public static func isImageConfig(_ type: String?) -> Bool { type == ociConfig || type == dockerConfig }

    /// The compression of a layer media type; nil when the type is not a filesystem layer the tool can rewrite.
    public static func layerCompression(_ type: String) -> Compression? {
        switch type {
        case ociLayer, ociNondistributableLayer, dockerLayer: .uncompressed
        case ociLayerGzip, ociNondistributableLayerGzip, dockerLayerGzip, dockerForeignLayerGzip: .gzip
        case ociLayerZstd, ociNondistributableLayerZstd: .zstd
        default: nil
        }
    }

    /// Layers that registries may not distribute; their blobs are often absent from a layout.
    public static func isNondistributable(_ type: String) -> Bool {
        type.contains(".nondistributable.") || type == dockerForeignLayerGzip
    }

    /// The media type of the same kind of layer as `type` (OCI or Docker, distributable or not) with another
    /// compression; nil when that kind has none: Docker schema 2 has no zstd layer, and its foreign layers are
    /// gzip only.
    public static func layerType(_ type: String, compressed compression: Compression) -> String? {
        let kind: [Compression: String]
        switch type {
        case ociLayer, ociLayerGzip, ociLayerZstd:
            kind = [.uncompressed: ociLayer, .gzip: ociLayerGzip, .zstd: ociLayerZstd]
        case ociNondistributableLayer, ociNondistributableLayerGzip, ociNondistributableLayerZstd:
            kind = [
                .uncompressed: ociNondistributableLayer, .gzip: ociNondistributableLayerGzip,
                .zstd: ociNondistributableLayerZstd,
            ]
        case dockerLayer, dockerLayerGzip:
            kind = [.uncompressed: dockerLayer, .gzip: dockerLayerGzip]
        case dockerForeignLayerGzip:
            kind = [.gzip: dockerForeignLayerGzip]
        default:
            kind = [:]
        }
        return kind[compression]
    }

    /// The OCI layer media type of a compression.
    public static func ociLayerType(_ compression: Compression) -> String {
        switch compression {
        case .uncompressed: ociLayer
        case .gzip: ociLayerGzip
        case .zstd: ociLayerZstd
        }
    }
}
