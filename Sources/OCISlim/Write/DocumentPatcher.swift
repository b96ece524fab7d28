import OCIImage

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

    /// A manifest whose config and layers point at new blobs.
    static func manifest(_ bytes: [UInt8], config: Descriptor, layers: [Descriptor], what: String) throws -> [UInt8] {
        var document = try JSONValue.parse(bytes, what: what)
        document["config"]?.setDescriptorTarget(digest: config.digest, size: config.size)
        guard var entries = document["layers"]?.arrayValue, entries.count == layers.count else {
            throw OCIError.invalidDocument(what: what, reason: "layers changed while being read")
        }
        for index in entries.indices {
            entries[index].setDescriptorTarget(digest: layers[index].digest, size: layers[index].size)
        }
        document["layers"] = .array(entries)
        return try document.encoded()
    }

    /// An index whose manifests point at new blobs.
    static func index(_ bytes: [UInt8], manifests: [Descriptor], what: String) throws -> [UInt8] {
        var document = try JSONValue.parse(bytes, what: what)
        guard var entries = document["manifests"]?.arrayValue, entries.count == manifests.count else {
            throw OCIError.invalidDocument(what: what, reason: "manifests changed while being read")
        }
        for index in entries.indices {
            entries[index].setDescriptorTarget(digest: manifests[index].digest, size: manifests[index].size)
        }
        document["manifests"] = .array(entries)
        return try document.encoded()
    }
}
