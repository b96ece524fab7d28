import ByteIO
import OCIImage

/// Reading and writing image archives: a tar of an OCI layout (`oci-archive:`) and every shape of `docker save`
/// output (`docker-archive:`), read in place by offset and written in a fixed, deterministic form.
public enum ImageArchives {
    /// Opens the archive at `path` (a regular file; standard input is spilled to one by `StandardInput`) and
    /// recognises its shape by its content, never by its name. `expected` is the transport the user named, if any:
    /// an archive of another kind is refused.
    public static func open(path: String, expected: ArchiveKind?) throws -> any ArchiveSource {
        try ArchiveDetection.open(path: path, expected: expected)
    }

    /// Writes the layout at `layout` (complete: `oci-layout`, `index.json`, every blob its images need) as an
    /// archive of `shape` into `sink`. Members are written in a fixed order with fixed owner, mode and mtime, so the
    /// same layout gives the same bytes.
    public static func write(
        layout: ImageLayout, images: [ArchiveImage], shape: ImageShape, to sink: ByteSink
    ) throws {
        let blobs = StagedBlobs(layout: layout)
        let write: (ArchiveMemberWriter) throws -> Void
        switch shape {
        case .layout: throw ArchiveWriteError.notAnArchive(shape)
        case .ociArchive: write = { try LayoutArchiveWriter.write(blobs, into: $0) }
        case .dockerArchive(.legacy): write = { try LegacyArchiveWriter.write(images, blobs: blobs, into: $0) }
        case .dockerArchive(.docker25): write = { try Docker25ArchiveWriter.write(images, blobs: blobs, into: $0) }
        case .dockerArchive(.containerd): write = { try ContainerdArchiveWriter.write(images, blobs: blobs, into: $0) }
        case .dockerArchive(.skopeo): write = { try SkopeoArchiveWriter.write(images, blobs: blobs, into: $0) }
        case .dockerArchive(.crane): write = { try CraneArchiveWriter.write(images, blobs: blobs, into: $0) }
        }
        let members = try ArchiveMemberWriter(sink: sink)
        try write(members)
        try members.finish()
    }
}

/// The two archive transports.
public enum ArchiveKind: String, Sendable {
    case ociArchive = "oci-archive"
    case dockerArchive = "docker-archive"
}

/// An image source read from an archive file.
public protocol ArchiveSource: ImageSource {
    /// The `RepoTags` of the image whose manifest (as this source lists it in `indexBytes()`) has `digest`; empty
    /// when the archive names none.
    func repoTags(ofManifest digest: Digest) -> [String]
}

/// One image to write into an archive: its descriptors in the finished layout, and the names to give it.
public struct ArchiveImage: Sendable, Equatable {
    /// Its manifest, as listed in the layout's `index.json` (or in an index below it).
    public var manifest: Descriptor
    /// Its config.
    public var config: Descriptor
    /// Its layers, bottom first.
    public var layers: [Descriptor]
    /// The names `docker load` tags it with (`manifest.json` `RepoTags`), fully written (`docker.io/library/x:1`
    /// or as the input had them).
    public var repoTags: [String]

    /// Makes an image.
    public init(manifest: Descriptor, config: Descriptor, layers: [Descriptor], repoTags: [String]) {
        self.manifest = manifest
        self.config = config
        self.layers = layers
        self.repoTags = repoTags
    }
}

/// Why an archive cannot be read or written; each names the archive and, where there is one, the member.
public enum ArchiveError: Error, Equatable, CustomStringConvertible {
    case unsupported(path: String, reason: String)
    /// The archive's content is wrong: `member` is the member concerned (nil when it is the archive as a whole).
    case invalid(path: String, member: String?, reason: String)

    public var description: String {
        switch self {
        case .unsupported(let path, let reason): "\(path): \(reason)"
        case .invalid(let path, let member?, let reason): "\(path): \(member): \(reason)"
        case .invalid(let path, nil, let reason): "\(path): \(reason)"
        }
    }
}
