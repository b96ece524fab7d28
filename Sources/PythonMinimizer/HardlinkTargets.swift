/// Where each hardlink of an image points: an earlier file of its own layer, or a file that the layers below leave
/// visible. Anything else (an absent path, a later entry, a directory, a whited-out file) fails `link(2)` when a
/// runtime applies the layer, and the planner could not keep such a target alive.
public enum HardlinkTargets {
    /// The first hardlink, bottom layer first and in archive order, whose target is not such a file.
    ///
    /// A layer's whiteouts count from its start, so a link to a lower file that its own layer whites out later is
    /// refused too (containerd would make it; the layer is ambiguous enough to refuse).
    public static func firstDangling(_ scans: [LayerScan]) -> (layer: Int, index: Int)? {
        var view = MergedView()
        for layer in scans.indices {
            let entries = scans[layer].entries
            for entry in entries {
                if let whiteout = Whiteout(entry.path) { view.record(whiteout, in: layer) }
            }
            var inLayer: [ImagePath: LayerEntry.Kind] = [:]
            for (index, entry) in entries.enumerated() {
                defer { inLayer[entry.path] = entry.kind }
                guard entry.kind == .hardlink, let target = entry.hardlinkTarget else { continue }
                if let kind = inLayer[target] {
                    if kind == .directory { return (layer, index) }
                } else if !view.isVisible(target, below: layer) {
                    return (layer, index)
                }
            }
            for (path, kind) in inLayer where kind != .directory && Whiteout(path) == nil {
                view.recordWrite(path, present: true, in: layer)
            }
        }
        return nil
    }
}
