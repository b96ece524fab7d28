import Hashing
import OCIImage

// moby image/image.go (V1Image), api/types/container/config.go (Config, HealthConfig), image/v1/imagev1.go
// (CreateID) and image/tarexport/save.go (saveImage), at v24.0.9 and v25.0.5.

/// The legacy ("v1") image JSON that `docker save` writes for each layer, and the v1 id it names the layer by.
///
/// moby decodes the image config into its `V1Image` struct and encodes that again, so unknown members are dropped,
/// known ones take Go's spelling, and `created` is reformatted; the id hashes that JSON with the layer's chain id and
/// its parent's id. The same is done here, member by member, so the ids are the ones Docker computes.
struct LegacyV1Image {
    /// The Docker release whose structs are followed: 25 made `created` a pointer (written `null` when absent) and
    /// added `StartInterval` to the health check.
    enum Release { case docker24, docker25 }

    /// The members of `V1Image` other than `id` and `parent`, in declaration order, omitted ones left out.
    private let members: [(String, GoJSON)]

    /// The v1 image of a layer below the top one: empty but for `created`, the epoch (for "pre v1.9 docker").
    static func intermediate(release: Release) -> LegacyV1Image {
        LegacyV1Image(members: [
            ("created", .string("1970-01-01T00:00:00Z")),
            ("container_config", ContainerConfigFields.encode(nil, release: release)),
        ])
    }

    /// The v1 image of the top layer: the image config's members that `V1Image` has.
    init(config: JSONValue, release: Release) {
        let fields = GoFields(config)
        var members: [(String, GoJSON)] = []
        func omitEmpty(_ name: String, _ key: String) {
            if let text = fields.string(key), !text.isEmpty { members.append((name, .string(text))) }
        }
        omitEmpty("comment", "comment")
        switch (fields.string("created"), release) {
        case (let created?, _): members.append(("created", .string(GoTime.reformat(created))))
        case (nil, .docker24): members.append(("created", .string("0001-01-01T00:00:00Z")))
        case (nil, .docker25): members.append(("created", .null))
        }
        omitEmpty("container", "container")
        members.append(
            ("container_config", ContainerConfigFields.encode(fields.value("container_config"), release: release)))
        omitEmpty("docker_version", "docker_version")
        omitEmpty("author", "author")
        if let config = fields.value("config"), case .object = config {
            members.append(("config", ContainerConfigFields.encode(config, release: release)))
        }
        omitEmpty("architecture", "architecture")
        omitEmpty("variant", "variant")
        omitEmpty("os", "os")
        if let size = fields.integer("Size"), size != 0 { members.append(("Size", .integer(size))) }
        self.members = members
    }

    private init(members: [(String, GoJSON)]) { self.members = members }

    /// The same image for another OS: `saveImage` sets `OS` after computing the id, before writing the JSON.
    func withOS(_ os: String?) -> LegacyV1Image {
        var members = members.filter { $0.0 != "os" }
        if let os, !os.isEmpty {
            // `os` comes after `variant`, `architecture`, `config`…: before `Size` only.
            let position = members.firstIndex { $0.0 == "Size" } ?? members.count
            members.insert(("os", .string(os)), at: position)
        }
        return LegacyV1Image(members: members)
    }

    /// `v1.CreateID`: the JSON of the image without `id`, as a map (sorted keys) with `layer_id` (the chain id) and
    /// `parent` (the parent's v1 id, in full), hashed.
    func id(chainID: Digest, parent: Digest?) throws -> Digest {
        var map = members
        map.append(("layer_id", .string(chainID.description)))
        if let parent { map.append(("parent", .string(parent.description))) }
        return Digest(sha256Hex: try SHA256Hasher.hash(GoJSON.goMap(map).encoded).hexString)
    }

    /// The JSON `docker save` writes for the layer: `id` and `parent` as hex, then the rest.
    func json(id: Digest, parent: Digest?) -> [UInt8] {
        var all: [(String, GoJSON)] = [("id", .string(id.encoded))]
        if let parent { all.append(("parent", .string(parent.encoded))) }
        return GoJSON.object(all + members).encoded
    }
}

/// `container.Config` as moby encodes it after decoding it from an image config.
private enum ContainerConfigFields {
    static func encode(_ value: JSONValue?, release: LegacyV1Image.Release) -> GoJSON {
        let fields = GoFields(value ?? .null)
        var members: [(String, GoJSON)] = [
            ("Hostname", .string(fields.string("Hostname") ?? "")),
            ("Domainname", .string(fields.string("Domainname") ?? "")),
            ("User", .string(fields.string("User") ?? "")),
            ("AttachStdin", .bool(fields.bool("AttachStdin"))),
            ("AttachStdout", .bool(fields.bool("AttachStdout"))),
            ("AttachStderr", .bool(fields.bool("AttachStderr"))),
        ]
        if let ports = fields.set("ExposedPorts"), !ports.isEmpty { members.append(("ExposedPorts", setJSON(ports))) }
        members += [
            ("Tty", .bool(fields.bool("Tty"))),
            ("OpenStdin", .bool(fields.bool("OpenStdin"))),
            ("StdinOnce", .bool(fields.bool("StdinOnce"))),
            ("Env", .strings(fields.strings("Env"))),
            ("Cmd", .strings(fields.strSlice("Cmd"))),
        ]
        if let health = fields.value("Healthcheck"), case .object = health {
            members.append(("Healthcheck", healthJSON(GoFields(health), release: release)))
        }
        if fields.bool("ArgsEscaped") { members.append(("ArgsEscaped", .bool(true))) }
        members += [
            ("Image", .string(fields.string("Image") ?? "")),
            ("Volumes", fields.set("Volumes").map(setJSON) ?? .null),
            ("WorkingDir", .string(fields.string("WorkingDir") ?? "")),
            ("Entrypoint", .strings(fields.strSlice("Entrypoint"))),
        ]
        if fields.bool("NetworkDisabled") { members.append(("NetworkDisabled", .bool(true))) }
        if let mac = fields.string("MacAddress"), !mac.isEmpty { members.append(("MacAddress", .string(mac))) }
        members += [
            ("OnBuild", .strings(fields.strings("OnBuild"))),
            ("Labels", fields.labels("Labels").map { .goMap($0.map { ($0.key, .string($0.value)) }) } ?? .null),
        ]
        if let signal = fields.string("StopSignal"), !signal.isEmpty { members.append(("StopSignal", .string(signal))) }
        if let timeout = fields.integer("StopTimeout") { members.append(("StopTimeout", .integer(timeout))) }
        if let shell = fields.strSlice("Shell"), !shell.isEmpty { members.append(("Shell", .strings(shell))) }
        return .object(members)
    }

    /// A Go `map[string]struct{}`: each key with `{}`.
    private static func setJSON(_ keys: [String]) -> GoJSON { .goMap(keys.map { ($0, .object([])) }) }

    private static func healthJSON(_ fields: GoFields, release: LegacyV1Image.Release) -> GoJSON {
        var members: [(String, GoJSON)] = []
        if let test = fields.strings("Test"), !test.isEmpty { members.append(("Test", .strings(test))) }
        var durations = ["Interval", "Timeout", "StartPeriod"]
        if release == .docker25 { durations.append("StartInterval") }
        for name in durations + ["Retries"] {
            if let value = fields.integer(name), value != 0 { members.append((name, .integer(value))) }
        }
        return .object(members)
    }
}

/// The members of a JSON object as Go's decoder finds struct fields: by exact name, else ignoring case; a member of
/// the wrong type leaves the field at its zero value.
private struct GoFields {
    let members: [String: JSONValue]

    init(_ value: JSONValue) {
        if case .object(let members) = value { self.members = members } else { members = [:] }
    }

    func value(_ name: String) -> JSONValue? {
        if let exact = members[name] { return exact }
        let folded = name.lowercased()
        return members.keys.sorted().first { $0.lowercased() == folded }.flatMap { members[$0] }
    }

    func string(_ name: String) -> String? { value(name)?.stringValue }

    func bool(_ name: String) -> Bool {
        if case .bool(let value)? = value(name) { return value }
        return false
    }

    func integer(_ name: String) -> Int64? {
        if case .integer(let value)? = value(name) { return value }
        return nil
    }

    /// A `[]string`: nil for `null` or absent.
    func strings(_ name: String) -> [String]? {
        guard case .array(let items)? = value(name) else { return nil }
        return items.compactMap(\.stringValue)
    }

    /// A `strslice.StrSlice`: an array, or one string taken as an array of it.
    func strSlice(_ name: String) -> [String]? {
        if case .string(let text)? = value(name) { return [text] }
        return strings(name)
    }

    /// The keys of a `map[string]struct{}`: nil for `null` or absent.
    func set(_ name: String) -> [String]? {
        guard case .object(let items)? = value(name) else { return nil }
        return Array(items.keys)
    }

    func labels(_ name: String) -> [String: String]? {
        guard case .object(let items)? = value(name) else { return nil }
        return items.compactMapValues(\.stringValue)
    }
}

/// Go's `time.Time` JSON: RFC 3339 with the fraction's trailing zeros dropped and `Z` for a zero offset.
enum GoTime {
    /// The time as Go writes it after reading it; a text that is not RFC 3339 is kept as it is.
    static func reformat(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") else { return text }
        var position = 19
        var fraction: [UInt8] = []
        if bytes[position] == UInt8(ascii: ".") {
            position += 1
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
                fraction.append(bytes[position])
                position += 1
            }
        }
        let zone = String(decoding: bytes[position...], as: UTF8.self)
        guard zone == "Z" || zone == "z" || (zone.utf8.count == 6 && (zone.hasPrefix("+") || zone.hasPrefix("-")))
        else { return text }
        while fraction.last == UInt8(ascii: "0") { fraction.removeLast() }
        let base = String(decoding: bytes[0..<19], as: UTF8.self).replacingT()
        let fractionText = fraction.isEmpty ? "" : "." + String(decoding: fraction, as: UTF8.self)
        let zoneText = ["Z", "z", "+00:00", "-00:00"].contains(zone) ? "Z" : zone
        return base + fractionText + zoneText
    }
}

extension String {
    fileprivate func replacingT() -> String {
        var characters = Array(self)
        if characters.count > 10 { characters[10] = "T" }
        return String(characters)
    }
}
