/// The entries no one can ever see in the final image (`--reclaim-hidden`): a file replaced by a later layer or later
/// in its own layer, whited out, under an opaque directory, or under an ancestor that a later layer deleted or
/// replaced by a non-directory. Directory entries are never counted: they hold no data, and the entries after them
/// may need them.
///
/// Found by one walk from the top layer down, carrying what the layers above hide; each entry costs a lookup per
/// ancestor.
struct HiddenEntries {
    /// Per layer, the indexes of its hidden entries, in order.
    let indexes: [[Int]]

    init(_ scans: [LayerScan]) {
        var above = Cover()
        var indexes = [[Int]](repeating: [], count: scans.count)
        for layer in scans.indices.reversed() {
            let entries = scans[layer].entries
            // The last entry for each path in this layer: an earlier one is overwritten when the layer is extracted.
            var last: [ImagePath: Int] = [:]
            for (index, entry) in entries.enumerated() where Whiteout(entry.path) == nil { last[entry.path] = index }
            for (index, entry) in entries.enumerated() where entry.kind != .directory && Whiteout(entry.path) == nil {
                if last[entry.path] != index || above.hides(entry.path) { indexes[layer].append(index) }
            }
            for entry in entries { above.record(entry) }
        }
        self.indexes = indexes
    }

    /// What the layers above the current one hide below them.
    private struct Cover {
        /// Paths written or whited out above: a lower non-directory entry there is replaced.
        var replaced: Set<ImagePath> = []
        /// Paths whose descendants are hidden: whited out, replaced by a non-directory, or marked opaque.
        var subtreeHidden: Set<ImagePath> = []

        mutating func record(_ entry: LayerEntry) {
            switch Whiteout(entry.path) {
            case .remove(let path)?:
                replaced.insert(path)
                subtreeHidden.insert(path)
            case .opaque(let directory)?:
                subtreeHidden.insert(directory)
            case nil:
                replaced.insert(entry.path)
                if entry.kind != .directory { subtreeHidden.insert(entry.path) }
            }
        }

        func hides(_ path: ImagePath) -> Bool {
            if replaced.contains(path) { return true }
            var ancestor = path.parent
            while !ancestor.bytes.isEmpty {
                if subtreeHidden.contains(ancestor) { return true }
                ancestor = ancestor.parent
            }
            // An opaque marker at the root hides every lower entry.
            return subtreeHidden.contains(ancestor)
        }
    }
}
