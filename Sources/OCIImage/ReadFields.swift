/// The members ocislim reads from each kind of document, by where they sit, to refuse their variants in case.
///
/// Go's `encoding/json` (containerd, Docker, skopeo) matches member names to struct fields without regard to case,
/// with Unicode simple folding (`"ſize"` is `size` to it): beside `"digest"`, a `"Digest"` is a second digest to
/// those tools, and the last one wins, while ocislim reads only `"digest"`. Such a variant of a member ocislim reads
/// is refused like a duplicate key. Maps (annotations, labels) are case-sensitive in Go too and are not checked.
indirect enum ReadFields: Sendable {
    /// A member whose value is read as a whole.
    case value
    /// An object: the members read, and what is read inside each.
    case object([String: ReadFields])
    /// An array, each element read as `element`.
    case array(of: ReadFields)

    static let platform = ReadFields.object(["architecture": .value, "os": .value, "variant": .value])
    static let descriptor = ReadFields.object([
        "mediaType": .value, "digest": .value, "size": .value, "annotations": .value, "platform": platform,
    ])
    static let index = ReadFields.object(["mediaType": .value, "manifests": .array(of: descriptor)])
    static let manifest = ReadFields.object([
        "mediaType": .value, "config": descriptor, "layers": .array(of: descriptor), "subject": descriptor,
        "artifactType": .value,
    ])
    static let config = ReadFields.object([
        "rootfs": .object(["type": .value, "diff_ids": .value]),
        "config": .object(["Env": .value, "Cmd": .value, "Entrypoint": .value]),
    ])

    /// Throws for a member of `document` that Go-based tools read as one of these fields but that is spelled
    /// otherwise. The depth of the walk is that of the field lists, whatever the document.
    func check(_ document: JSONValue, path: String = "") throws(JSONSyntaxError) {
        switch (self, document) {
        case (.object(let fields), .object(let members)):
            let folded = Dictionary(fields.keys.map { (Self.fold($0), $0) }, uniquingKeysWith: { first, _ in first })
            for (key, value) in members {
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                if let inner = fields[key] {
                    try inner.check(value, path: keyPath)
                } else if let field = folded[Self.fold(key)] {
                    throw .caseVariantKey(path: keyPath, field: field)
                }
            }
        case (.array(let element), .array(let elements)):
            for (position, value) in elements.enumerated() { try element.check(value, path: "\(path)[\(position)]") }
        default:
            return
        }
    }

    /// The same for any two names Go's field matching takes as one: `ſ` → `S` → `s`, `K` (Kelvin) → `k`.
    private static func fold(_ name: String) -> String { name.uppercased().lowercased() }
}
