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

    enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, annotations, platform
    }

    /// Decodes a descriptor; `size` must be a non-negative integer (a 64-bit one, as in Go's `int64`).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try container.decode(String.self, forKey: .mediaType)
        digest = try container.decode(Digest.self, forKey: .digest)
        guard let size = try? container.decode(Int64.self, forKey: .size), size >= 0 else {
            _ = try container.decode(JSONValue.self, forKey: .size)  // a missing or null size says so
            throw FieldError.rule(
                codingPath: container.codingPath + [CodingKeys.size], rule: "must be a non-negative integer")
        }
        self.size = size
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        platform = try container.decodeIfPresent(Platform.self, forKey: .platform)
    }

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

    /// Makes a platform.
    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// Parses `OS/ARCH[/VARIANT]`, as `--platform` takes it; nil when it has another form.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), !parts.contains(where: \.isEmpty) else { return nil }
        self.init(architecture: parts[1], os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// Whether an image built for `self` is what `wanted` asks for: same OS and architecture, and the same variant
    /// when `wanted` names one.
    public func satisfies(_ wanted: Platform) -> Bool {
        os == wanted.os && architecture == wanted.architecture && (wanted.variant == nil || variant == wanted.variant)
    }
}
