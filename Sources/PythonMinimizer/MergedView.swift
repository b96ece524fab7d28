/// The rewritten layers seen from above: which layer last wrote each path, and what each layer deleted.
///
/// Answers "is this path visible below layer L?" by looking up its last writer and checking only the path's
/// ancestors against the whiteouts of the layers in between, so the cost does not grow with the number of paths.
struct MergedView {
    /// For each non-directory path, the layer that last left it present.
    private var lastWriter: [ImagePath: Int] = [:]
    /// Per layer, the paths its whiteouts remove (with everything below them).
    private var removed: [Int: Set<ImagePath>] = [:]
    /// Per layer, the directories it makes opaque (everything below them from lower layers is hidden).
    private var opaque: [Int: Set<ImagePath>] = [:]

    /// Records a whiteout of `layer`; it hides what lower layers hold.
    mutating func record(_ whiteout: Whiteout, in layer: Int) {
        switch whiteout {
        case .remove(let path): removed[layer, default: []].insert(path)
        case .opaque(let directory): opaque[layer, default: []].insert(directory)
        }
    }

    /// Records what `layer` leaves at `path` after its rewrite.
    mutating func recordWrite(_ path: ImagePath, present: Bool, in layer: Int) {
        lastWriter[path] = present ? layer : nil
    }

    /// Whether a lower layer's copy of `path` shows through at `layer` (before `layer`'s own entries).
    func isVisible(_ path: ImagePath, below layer: Int) -> Bool {
        guard let writer = lastWriter[path], writer < layer else { return false }
        for between in (writer + 1)...layer {
            if let removals = removed[between], path.selfAndAncestors.contains(where: removals.contains) {
                return false
            }
            if let directories = opaque[between], path.ancestors.contains(where: directories.contains) {
                return false
            }
        }
        return true
    }
}

extension ImagePath {
    /// The directories above this path, nearest first (the root excluded).
    var ancestors: [ImagePath] {
        var result: [ImagePath] = []
        var current = parent
        while !current.bytes.isEmpty {
            result.append(current)
            current = current.parent
        }
        return result
    }

    /// This path, then its ancestors.
    var selfAndAncestors: [ImagePath] { [self] + ancestors }
}
