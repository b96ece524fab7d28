import OCIImage

/// Refuses a graph in which a referrer names as its subject a document above it: an index that lists it (directly
/// or further down), or a referrer that refers back to it (two cosign tags naming each other). Each new digest would
/// depend on the other's, so `DocumentWriter` could not write them; `GraphReader` runs this check so such an input is
/// refused before any layer is read.
///
/// The walk is the writer's: from `index.json`'s entries in order, an index's children in order, a referrer's subject
/// before the referrer; a subject still being walked is the one the writer would have found, so the message names
/// the same referrer and subject.
struct ReferrerAncestry {
    let graph: ImageGraph
    /// The documents walked to the end.
    private var done: Set<DocumentKey> = []
    /// The documents being walked: those above the current one, and referrers waiting for their subject.
    private var inProgress: Set<DocumentKey> = []

    private init(graph: ImageGraph) { self.graph = graph }

    /// Throws `ReferrerError.subjectIsAncestor` for the first referrer the writer would find naming a document
    /// above it. The recursion follows nested indexes, which `GraphReader` bounds, and referrers' subjects.
    static func check(_ graph: ImageGraph) throws {
        var walk = ReferrerAncestry(graph: graph)
        for entry in graph.index.manifests { try walk.visit(DocumentKey(entry)) }
    }

    private mutating func visit(_ key: DocumentKey) throws {
        guard !done.contains(key), let node = graph.nodes[key] else { return }
        inProgress.insert(key)
        defer { inProgress.remove(key) }
        switch node {
        case .index(_, _, let children):
            for child in children { try visit(DocumentKey(child)) }
        case .referrer(let referrer):
            if let (subjectKey, _) = graph.node(referrer.subject) {
                guard !inProgress.contains(subjectKey) else {
                    throw ReferrerError.subjectIsAncestor(
                        referrer: referrer.descriptor.digest, subject: referrer.subject)
                }
                try visit(subjectKey)
            }
        case .image, .opaque, .absent:
            break
        }
        done.insert(key)
    }
}
