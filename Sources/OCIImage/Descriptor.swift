// https://github.com/opencontainers/image-spec/blob/main/descriptor.md

/// A content descriptor: the fields the tool reads. The document's own bytes keep every other field.
public struct Descriptor: Codable, Hashable, Sendable {
    /// The media type of the referenced content.
    public var mediaType: String
    /// The digest of the referenced content.
    public var digest: Digest
    /// The size of the referenced content in bytes.
    public var size: Int64
    /// Annotations, kept for reports (ref names) and platform matching.
    public var annotations: [String: String]?
    /// The platform of an index entry.
    public var platform: Platform?

    /// Makes a descriptor.
    public init(mediaType: String, digest: Digest, size: Int64) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
    }

    /// The image reference name, from `org.opencontainers.image.ref.name`.
    public var referenceName: String? { annotations?["org.opencontainers.image.ref.name"] }
}

/// The platform of a manifest in an index.
public struct Platform: Codable, Hashable, Sendable {
    /// CPU architecture, e.g. `amd64`.
    public var architecture: String
    /// Operating system, e.g. `linux`.
    public var os: String
    /// CPU variant, e.g. `v8`.
    public var variant: String?

    /// `os/architecture[/variant]`.
    public var name: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }
}
