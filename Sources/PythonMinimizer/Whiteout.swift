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

    /// The whiteout entry's own name for hiding `path`.
    public static func entryPath(hiding path: ImagePath) -> ImagePath {
        path.parent.appending(".wh." + path.name.text)
    }
}
