import ByteIO

/// Where an image is read from: a layout directory (`ImageLayout`), an archive of one or of a `docker save` output
/// (the `ImageArchive` module), read in place. The pipeline talks only to this protocol, so every input shape looks
/// like an OCI layout to it: an `index.json`, and blobs by digest, each verified against its descriptor as it is
/// read.
public protocol ImageSource: Sendable {
    /// Names the source in messages and reports: a path, or a reference such as `docker-archive:app.tar`.
    var name: String { get }
    /// What the source is, so an output with no transport of its own can take the same shape.
    var shape: ImageShape { get }
    /// The bytes of the source's `index.json` (for a `docker save` archive without one, an index the source made
    /// from its `manifest.json`, listing one manifest per image).
    func indexBytes() throws -> [UInt8]
    /// What a message calls the index: `DIR/index.json`, `app.tar: index.json`.
    var indexName: String { get }
    /// The bytes of `oci-layout` to write beside a layout made from this source.
    func layoutMarkerBytes() throws -> [UInt8]
    /// Whether the source holds the blob. An archive may hold only part of what its index names (`ctr export` of
    /// one platform of a multi-platform index).
    func hasBlob(_ digest: Digest) -> Bool
    /// Where a missing blob would be, for messages.
    func blobLocation(_ digest: Digest) -> String
    /// The file holding a blob as it is, when the source keeps each blob in a file of its own (a layout directory),
    /// so a copy of it may be a hard link; nil otherwise.
    func blobFile(_ digest: Digest) -> String?
    /// Opens a blob for streaming; the source throws at its end if size or digest differ from the descriptor.
    func openBlob(_ descriptor: Descriptor) throws -> VerifyingBlobSource
    /// The names an image listed in the index answers to, for selection by reference (`oci:DIR:NAME`,
    /// `docker-archive:FILE:NAME:TAG`): by default its `org.opencontainers.image.ref.name` and
    /// `io.containerd.image.name` annotations.
    func names(of entry: Descriptor) -> [String]
    /// The positions in `index` of the image a reference's `@N` selects (by default the N-th entry; a `docker save`
    /// archive counts as its `manifest.json` does). Empty when there is no such image.
    func entries(atPosition position: Int, of index: ImageIndex) -> [Int]
    /// Whether an absent blob named by an index may be carried over as a descriptor only (a sparse archive) instead
    /// of failing the run.
    var allowsAbsentManifests: Bool { get }
    /// Every blob the source holds, with its size, whether or not an index lists it (`--scan-blobs` looks for
    /// referrers among them); empty for a source that cannot list its blobs.
    func storedBlobs() throws -> [StoredBlob]
}

/// A blob as a source stores it, listed or not.
public struct StoredBlob: Hashable, Sendable {
    public let digest: Digest
    public let size: Int64

    /// Makes an entry.
    public init(digest: Digest, size: Int64) {
        self.digest = digest
        self.size = size
    }
}

extension ImageSource {
    public func names(of entry: Descriptor) -> [String] {
        [Annotation.refName, Annotation.containerdImageName].compactMap { entry.annotations?[$0] }
    }

    public var allowsAbsentManifests: Bool { false }

    public func blobFile(_ digest: Digest) -> String? { nil }

    public func storedBlobs() throws -> [StoredBlob] { [] }

    public func entries(atPosition position: Int, of index: ImageIndex) -> [Int] {
        index.manifests.indices.contains(position) ? [position] : []
    }

    public func layoutMarkerBytes() throws -> [UInt8] { ImageShape.layoutMarker }

    /// Reads a small blob (a manifest, config or index) whole, verified, up to `ImageLayout.documentLimit`.
    public func readDocument(_ descriptor: Descriptor) throws -> [UInt8] {
        let what = "blob \(descriptor.digest)"
        let limit = ImageLayout.documentLimit
        guard descriptor.size <= Int64(limit) else {
            throw OCIError.documentTooLarge(what: what, size: descriptor.size, limit: limit)
        }
        do {
            return try openBlob(descriptor).readAll(limit: limit)
        } catch ByteIOError.tooLarge {
            throw OCIError.documentTooLarge(what: what, size: nil, limit: limit)
        }
    }
}

/// The annotation keys ocislim reads and writes.
public enum Annotation {
    /// The image's reference name in a layout (`oci:DIR:NAME` selects by it).
    public static let refName = "org.opencontainers.image.ref.name"
    /// The full image name containerd and Docker 25+ write into an archive's `index.json`.
    public static let containerdImageName = "io.containerd.image.name"
}

/// The shape an image was read in, or is to be written in.
public enum ImageShape: Hashable, Sendable {
    /// An OCI image layout directory.
    case layout
    /// A tar of an OCI image layout (`oci-archive:`).
    case ociArchive
    /// A `docker save` archive (`docker-archive:`) of one of the shapes the tools write.
    case dockerArchive(DockerArchiveFlavor)

    /// Whether the shape holds referrers (signatures, attestations): a layout and an OCI archive list them in
    /// `index.json`, and containerd's export writes its layout as it is; the other `docker save` shapes describe
    /// images alone (`manifest.json`, or an index rebuilt from it) and have no place for them.
    public var holdsReferrers: Bool {
        switch self {
        case .layout, .ociArchive, .dockerArchive(.containerd): true
        case .dockerArchive(.legacy), .dockerArchive(.docker25), .dockerArchive(.skopeo), .dockerArchive(.crane):
            false
        }
    }

    /// The `oci-layout` file every layout this tool makes carries.
    public static let layoutMarker = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)
}

/// The shapes of `docker save` output, as each tool writes it; an archive is written back in the shape it was read
/// in.
public enum DockerArchiveFlavor: String, Hashable, Sendable, CaseIterable {
    /// Docker ≤ 24: `<v1id>/{VERSION,json,layer.tar}`, `<imageid>.json`, `manifest.json`, `repositories`.
    case legacy
    /// Docker 25+ with the classic store: an OCI layout of uncompressed layers plus `manifest.json` (with
    /// `LayerSources`) and `repositories`.
    case docker25
    /// Docker's containerd store and `ctr images export`: an OCI layout of blobs as pulled, plus `manifest.json`.
    case containerd
    /// skopeo and podman (`docker-archive:`): `<hex>.tar` layers and `<hex>.json` config at the root.
    case skopeo
    /// go-containerregistry's `tarball` (crane): `sha256:<hex>` config and `<hex>.tar.gz` layers.
    case crane
}
