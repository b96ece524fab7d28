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
    /// The manifest this one refers to (referrers API), copied as it is.
    public var subject: Descriptor?
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
}

extension Decodable {
    /// Decodes a document, naming it in the error.
    public static func decode(_ bytes: [UInt8], what: String) throws -> Self {
        do {
            return try JSONValue.decoder.decode(Self.self, from: Data(bytes))
        } catch let error as OCIError {
            throw error
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw OCIError.invalidJSON(what: what, reason: context.debugDescription)
        } catch {
            throw OCIError.invalidDocument(what: what, reason: JSONValue.explain(error))
        }
    }
}
