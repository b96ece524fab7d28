// https://github.com/opencontainers/image-spec/blob/main/image-index.md
// https://github.com/opencontainers/image-spec/blob/main/manifest.md
// https://github.com/opencontainers/image-spec/blob/main/config.md

import struct Foundation.Data

/// The fields of an image index (or Docker manifest list) that the tool walks.
public struct ImageIndex: Codable, Sendable {
    /// The document's media type, if it states one.
    public var mediaType: String?
    /// The manifests (or nested indexes) it lists.
    public var manifests: [Descriptor]
}

/// The fields of an image manifest that the tool rewrites.
public struct ImageManifest: Codable, Sendable {
    /// The document's media type, if it states one.
    public var mediaType: String?
    /// The config blob.
    public var config: Descriptor
    /// The layers, bottom first.
    public var layers: [Descriptor]
    /// The manifest this one refers to (referrers API).
    public var subject: Descriptor?
    /// The kind of artifact an OCI 1.1 artifact manifest holds (a signature, an SBOM), when it says.
    public var artifactType: String?
}

/// The fields of an image config that the tool reads.
public struct ImageConfig: Codable, Sendable {
    /// The layer chain: one diff_id per layer.
    public struct RootFS: Codable, Sendable {
        public var type: String
        public var diffIDs: [Digest]

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    /// The execution parameters; only `Env` is read.
    public struct Execution: Codable, Sendable {
        public var env: [String]?
        public var cmd: [String]?
        public var entrypoint: [String]?

        enum CodingKeys: String, CodingKey {
            case env = "Env"
            case cmd = "Cmd"
            case entrypoint = "Entrypoint"
        }
    }

    public var rootfs: RootFS
    public var config: Execution?
    /// The platform the image is built for (`--platform` matches it when the image's descriptor names none).
    public var os: String?
    public var architecture: String?
    public var variant: String?

    /// The image's platform, when the config names one.
    public var platform: Platform? {
        guard let os, let architecture else { return nil }
        return Platform(architecture: architecture, os: os, variant: variant)
    }
}

extension ImageIndex {
    /// Decodes an index and checks that it is one: its own `mediaType`, if it has one, is the type it is listed with
    /// (an index type for `index.json`, listed by nothing), and it has none of a manifest's members.
    public static func read(_ bytes: [UInt8], listedAs listed: String?, what: String) throws -> ImageIndex {
        let (index, document) = try decodeDocument(bytes, what: what, fields: .index)
        try DocumentCheck.mediaType(
            index.mediaType, listedAs: listed, isExpected: MediaType.isIndex, kind: "an index", what: what)
        try DocumentCheck.absent(["config", "layers"], besides: "manifests", in: document, what: what)
        return index
    }
}

extension ImageManifest {
    /// Decodes a manifest and checks that it is one: its own `mediaType`, if it has one, is the type it is listed
    /// with, and it has no `manifests`.
    public static func read(_ bytes: [UInt8], listedAs listed: String, what: String) throws -> ImageManifest {
        let (manifest, document) = try decodeDocument(bytes, what: what, fields: .manifest)
        try DocumentCheck.mediaType(
            manifest.mediaType, listedAs: listed, isExpected: MediaType.isManifest, kind: "a manifest", what: what)
        try DocumentCheck.absent(["manifests"], besides: "layers", in: document, what: what)
        return manifest
    }
}

extension ImageConfig {
    /// Decodes an image config and checks its `rootfs.type`, which the spec fixes to `layers`.
    public static func read(_ bytes: [UInt8], what: String) throws -> ImageConfig {
        let (config, _) = try decodeDocument(bytes, what: what, fields: .config)
        guard config.rootfs.type == "layers" else {
            throw OCIError.invalidDocument(
                what: what,
                reason: "rootfs.type is \"\(config.rootfs.type.escapedForMessage)\", the spec allows only \"layers\"")
        }
        return config
    }
}

/// The checks that a document is what its descriptor says, as containerd's `validateMediaType` makes them: a
/// document read as one kind by ocislim and as another by other tools would be two images.
private enum DocumentCheck {
    static func mediaType(
        _ own: String?, listedAs listed: String?, isExpected: (String?) -> Bool, kind: String, what: String
    ) throws {
        guard let own else { return }
        if let listed, own != listed {
            throw OCIError.invalidDocument(
                what: what,
                reason: "its mediaType is \(own.escapedForMessage), but it is listed as \(listed.escapedForMessage)")
        }
        guard isExpected(own) else {
            throw OCIError.invalidDocument(
                what: what, reason: "its mediaType is \(own.escapedForMessage), which is not \(kind)")
        }
    }

    static func absent(_ foreign: [String], besides own: String, in document: JSONValue, what: String) throws {
        for member in foreign where document[member] != nil {
            throw OCIError.invalidDocument(what: what, reason: "has both \"\(own)\" and \"\(member)\"")
        }
    }
}

extension Decodable {
    /// Decodes a document, naming it in the error. The bytes are parsed strictly first (no duplicate keys, UTF-8,
    /// numbers in range), then the typed fields decoded; a field's error shows the value found.
    public static func decode(_ bytes: [UInt8], what: String) throws -> Self {
        try decodeDocument(bytes, what: what).0
    }

    /// Decodes a document; returns it typed and whole. With `fields`, the members read must not have variants in
    /// case (see `ReadFields`).
    static func decodeDocument(_ bytes: [UInt8], what: String, fields: ReadFields? = nil) throws -> (Self, JSONValue) {
        let document = try JSONValue.parse(bytes, what: what)
        do {
            try fields?.check(document)
        } catch {
            throw OCIError.malformedJSON(what: what, error)
        }
        do {
            return (try JSONValue.decoder.decode(Self.self, from: Data(bytes)), document)
        } catch let error as OCIError {
            throw error
        } catch {
            throw OCIError.invalidDocument(what: what, reason: JSONValue.explain(error, in: document))
        }
    }
}
