// https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts

/// What a layer entry means for the layers below it.
public enum Whiteout: Equatable, Sendable {
    /// `.wh.NAME`: the lower `NAME` (and everything under it) is deleted.
    case remove(ImagePath)
    /// `.wh..wh..opq` in a directory: everything the lower layers had under that directory is hidden.
    case opaque(directory: ImagePath)

    /// The whiteout an entry path denotes, if any.
    public init?(_ path: ImagePath) {
        let name = path.name
        guard name.hasPrefix(".wh.") else { return nil }
        if name.elementsEqual(".wh..wh..opq".utf8) {
            self = .opaque(directory: path.parent)
        } else {
            let hidden = Array(name.dropFirst(4))
            let parent = path.parent
            self = .remove(ImagePath(tarName: parent.bytes.isEmpty ? hidden : parent.bytes + [0x2f] + hidden))
        }
    }

    /// Whether an entry name uses the whiteout prefix without naming a file: `.wh.` followed by nothing, `.` or
    /// `..`, or a `.wh..wh.` name other than the opaque marker (the spec reserves that prefix). `init?` would read
    /// such a name as deleting its own directory or its parent.
    public static func namesNothing(_ name: some Collection<UInt8>) -> Bool {
        let prefix = Array(".wh.".utf8)
        guard name.starts(with: prefix) else { return false }
        let hidden = name.dropFirst(prefix.count)
        if hidden.isEmpty || hidden.elementsEqual([0x2e]) || hidden.elementsEqual([0x2e, 0x2e]) { return true }
        return hidden.starts(with: prefix) && !name.elementsEqual(".wh..wh..opq".utf8)
    }

    /// The whiteout entry's own name for hiding `path`.
    public static func entryPath(hiding path: ImagePath) -> ImagePath {
        path.parent.appending(".wh." + path.name.text)
    }
}
