/// The canonical encoding of a layer's plan, for `--cache`'s rewritten-layer key: the same plan encodes to the same
/// bytes in every process (sets and index-keyed tables as sorted lists, since Swift's hash order is seeded per
/// process), so its digest names the plan.
extension AddedFile: Encodable {
    private enum CodingKeys: String, CodingKey { case path, data, metadata }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(HexBytes(data), forKey: .data)
        try container.encode(metadata, forKey: .metadata)
    }
}

extension LayerPlan: Encodable {
    private enum CodingKeys: String, CodingKey {
        case actions, hidesLowerCopy, createsSourceDirectory, additions, dependentLinks
    }

    /// One entry's action, by its index in the layer.
    private struct IndexedAction: Encodable {
        let index: Int
        let action: EntryAction
    }

    /// The links that depend on one materialized entry.
    private struct IndexedLinks: Encodable {
        let index: Int
        let links: [Int]
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(
            actions.sorted { $0.key < $1.key }.map { IndexedAction(index: $0.key, action: $0.value) }, forKey: .actions)
        try container.encode(hidesLowerCopy.sorted(), forKey: .hidesLowerCopy)
        try container.encode(createsSourceDirectory.sorted(), forKey: .createsSourceDirectory)
        try container.encode(additions, forKey: .additions)
        try container.encode(
            dependentLinks.sorted { $0.key < $1.key }.map { IndexedLinks(index: $0.key, links: $0.value) },
            forKey: .dependentLinks)
    }
}
