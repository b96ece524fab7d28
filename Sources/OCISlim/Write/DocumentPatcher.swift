import OCIImage

import class Foundation.JSONEncoder

/// Patches changed documents without losing fields: only the members the rewrite changes are replaced.
enum DocumentPatcher {
    /// A config with new `rootfs.diff_ids` and, for keys it does not set yet, the added environment.
    static func config(_ bytes: [UInt8], diffIDs: [Digest], environment: [String], what: String) throws -> [UInt8] {
        var document = try JSONValue.parse(bytes, what: what)
        var rootfs = document["rootfs"] ?? .object([:])
        rootfs["diff_ids"] = .array(diffIDs.map { .string($0.description) })
        document["rootfs"] = rootfs
        if !environment.isEmpty {
            var execution = document["config"] ?? .object([:])
            if execution == .null { execution = .object([:]) }
            var variables = execution["Env"]?.arrayValue ?? []
            for variable in environment {
                let key = variable.prefix { $0 != "=" } + "="
                if !variables.contains(where: { $0.stringValue?.hasPrefix(key) == true }) {
                    variables.append(.string(variable))
                }
            }
            execution["Env"] = .array(variables)
            document["config"] = execution
        }
        return try document.encoded()
    }

    /// A manifest whose config and layers point at new blobs; a recompressed layer gets its new media type.
    static func manifest(_ bytes: [UInt8], config: Descriptor, layers: [Descriptor], what: String) throws -> [UInt8] {
        var document = try JSONValue.parse(bytes, what: what)
        document["config"]?.setDescriptorTarget(digest: config.digest, size: config.size)
        try retarget(&document, list: "layers", to: layers, what: what, mediaTypes: true)
        return try document.encoded()
    }

    /// An index whose manifests point at new blobs.
    /// `index.json` listing only the entries at `positions` (an input reference that selects some images).
    static func index(_ bytes: [UInt8], keeping positions: [Int], what: String) throws -> [UInt8] {
        var document = try JSONValue.parse(bytes, what: what)
        guard let entries = document["manifests"]?.arrayValue, positions.allSatisfy(entries.indices.contains) else {
            throw OCIError.invalidDocument(what: what, reason: "manifests changed while being read")
        }
        document["manifests"] = .array(positions.map { entries[$0] })
        return try document.encoded()
    }

    /// `index.json` whose every entry but those of `referrers` (which keep their own names) is named `name`
    /// (`org.opencontainers.image.ref.name`): the output reference's name for the image written.
    static func index(
        _ bytes: [UInt8], naming name: String, fullName: String? = nil, except referrers: Set<Digest> = [],
        what: String
    ) throws -> [UInt8] {
        var document = try JSONValue.parse(bytes, what: what)
        guard var entries = document["manifests"]?.arrayValue else {
            throw OCIError.invalidDocument(what: what, reason: "manifests changed while being read")
        }
        let skipped = Set(referrers.map(\.description))
        for position in entries.indices
        where !skipped.contains(entries[position]["digest"]?.stringValue ?? "") {
            var annotations = entries[position]["annotations"] ?? .object([:])
            annotations[Annotation.refName] = .string(name)
            if let fullName { annotations[Annotation.containerdImageName] = .string(fullName) }
            entries[position]["annotations"] = annotations
        }
        document["manifests"] = .array(entries)
        return try document.encoded()
    }

    /// An index whose manifests point at new blobs. A nil entry is removed (a dropped referrer); annotations whose
    /// value changed (a relinked referrer's `vnd.docker.reference.digest`, a renamed cosign tag) are set; `appending`
    /// entries are added at the end (loose referrers carried over).
    static func index(
        _ bytes: [UInt8], manifests: [Descriptor?], appending: [Descriptor] = [], what: String
    ) throws -> [UInt8] {
        var document = try JSONValue.parse(bytes, what: what)
        guard let entries = document["manifests"]?.arrayValue, entries.count == manifests.count else {
            throw OCIError.invalidDocument(what: what, reason: "manifests changed while being read")
        }
        var kept: [JSONValue] = []
        for (entry, target) in zip(entries, manifests) {
            guard let target else { continue }
            var entry = entry
            entry.setDescriptorTarget(digest: target.digest, size: target.size)
            for (key, value) in (target.annotations ?? [:]).sorted(by: { $0.key < $1.key })
            where entry["annotations"]?[key]?.stringValue != value {
                entry["annotations"]?[key] = .string(value)
            }
            kept.append(entry)
        }
        for descriptor in appending {
            kept.append(try JSONValue.parse(Array(try JSONEncoder().encode(descriptor)), what: what))
        }
        document["manifests"] = .array(kept)
        return try document.encoded()
    }

    /// A referrer manifest pointing at new config and layer blobs and, when it has a `subject`, at the subject's
    /// new digest and size (its media type and other fields kept).
    static func referrer(
        _ bytes: [UInt8], config: Descriptor, layers: [Descriptor], subject: Descriptor, what: String
    ) throws -> [UInt8] {
        var document = try JSONValue.parse(manifest(bytes, config: config, layers: layers, what: what), what: what)
        document["subject"]?.setDescriptorTarget(digest: subject.digest, size: subject.size)
        return try document.encoded()
    }

    /// Points each descriptor of the array `list` at the blob of the matching new descriptor, and gives it the new
    /// descriptor's media type when `mediaTypes` (the media types of index entries never change).
    private static func retarget(
        _ document: inout JSONValue, list: String, to targets: [Descriptor], what: String, mediaTypes: Bool = false
    ) throws {
        guard var entries = document[list]?.arrayValue, entries.count == targets.count else {
            throw OCIError.invalidDocument(what: what, reason: "\(list) changed while being read")
        }
        for index in entries.indices {
            entries[index].setDescriptorTarget(digest: targets[index].digest, size: targets[index].size)
            if mediaTypes && entries[index]["mediaType"]?.stringValue != targets[index].mediaType {
                entries[index]["mediaType"] = .string(targets[index].mediaType)
            }
        }
        document[list] = .array(entries)
    }
}
