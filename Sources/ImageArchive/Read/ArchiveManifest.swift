// https://github.com/moby/moby/blob/master/image/spec/v1.2.md (manifest.json: "Combined Image JSON + Filesystem
// Changeset Format"); written by moby image/tarexport/save.go, containerd core/images/archive/exporter.go,
// containers/image docker/internal/tarfile/writer.go and go-containerregistry pkg/v1/tarball/write.go.
import OCIImage

/// One image of a `docker save` archive's `manifest.json`: the member paths of its config and layers, and its names.
struct ArchiveManifestEntry: Sendable, Equatable {
    /// The config member (`<hex>.json`, `blobs/sha256/<hex>`, `sha256:<hex>`).
    var config: String
    /// The names `docker load` tags it with; may be empty.
    var repoTags: [String]
    /// The layer members, bottom first.
    var layers: [String]
}

/// Parses `manifest.json`, naming the field that is wrong.
enum ArchiveManifest {
    /// The entries of `manifest.json`, in order.
    static func parse(_ bytes: [UInt8], archive: String) throws -> [ArchiveManifestEntry] {
        let document = try JSONValue.parse(bytes, what: "\(archive): manifest.json")
        func invalid(_ reason: String) -> ArchiveError {
            .invalid(path: archive, member: "manifest.json", reason: reason)
        }
        guard let list = document.arrayValue else {
            throw invalid("it is \(kind(document)), not a list of images")
        }
        guard !list.isEmpty else { throw invalid("it lists no image") }
        return try list.enumerated().map { position, entry in
            guard case .object = entry else { throw invalid("image \(position) is \(kind(entry)), not an object") }
            guard let config = entry["Config"]?.stringValue, !config.isEmpty else {
                throw invalid("image \(position) has no \"Config\" string")
            }
            let repoTags = try strings(entry["RepoTags"], field: "RepoTags", position: position, invalid: invalid)
            guard entry["Layers"]?.arrayValue != nil else {
                throw invalid("image \(position) has no \"Layers\" list")
            }
            let layers = try strings(entry["Layers"], field: "Layers", position: position, invalid: invalid)
            return ArchiveManifestEntry(config: config, repoTags: repoTags, layers: layers)
        }
    }

    /// A list of strings, or nothing for an absent or null field.
    private static func strings(
        _ value: JSONValue?, field: String, position: Int, invalid: (String) -> ArchiveError
    ) throws -> [String] {
        guard let value, value != .null else { return [] }
        guard let list = value.arrayValue else {
            throw invalid("image \(position): \"\(field)\" is \(kind(value)), not a list of strings")
        }
        return try list.map {
            guard let text = $0.stringValue else {
                throw invalid("image \(position): \"\(field)\" holds \(kind($0)), not a string")
            }
            return text
        }
    }

    /// A JSON value's kind, in the user's terms.
    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}
