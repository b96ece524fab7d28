// https://github.com/opencontainers/image-spec/blob/main/media-types.md
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
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// Index-like documents: their `manifests` are walked.
    public static func isIndex(_ type: String?) -> Bool { type == ociIndex || type == dockerManifestList }

    /// Image manifests: their layers are rewritten when their config is an image config.
    public static func isManifest(_ type: String?) -> Bool { type == ociManifest || type == dockerManifest }

    /// Container image configs, which carry `rootfs.diff_ids`.
    public static func isImageConfig(_ type: String?) -> Bool { type == ociConfig || type == dockerConfig }

    /// The compression of a layer media type; nil when the type is not a filesystem layer the tool can rewrite.
    public static func layerCompression(_ type: String) -> LayerCompression? {
        switch type {
        case ociLayer, ociNondistributableLayer: .uncompressed
        case ociLayerGzip, ociNondistributableLayerGzip, dockerLayerGzip, dockerForeignLayerGzip: .gzip
        case ociLayerZstd, ociNondistributableLayerZstd: .zstd
        default: nil
        }
    }

    /// Layers that registries may not distribute; their blobs are often absent from a layout.
    public static func isNondistributable(_ type: String) -> Bool {
        type.contains(".nondistributable.") || type == dockerForeignLayerGzip
    }
}

/// The compression named by a layer's media type.
public enum LayerCompression: String, Sendable, Codable {
    case uncompressed = "none", gzip, zstd
}
