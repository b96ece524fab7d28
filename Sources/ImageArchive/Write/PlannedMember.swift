import OCIImage

/// A member of an archive whose order is decided once every member is known: `docker save` builds its archive in a
/// temporary directory and tars it with a directory walk, so members come sorted by name within each directory.
struct PlannedMember {
    enum Content {
        case directory
        case document([UInt8])
        /// A layer's tar, uncompressed.
        case layer(Descriptor, diffID: Digest)
        case symlink(to: String)
    }

    let name: String
    let content: Content

    /// Writes the members in the order of a directory walk (moby pkg/archive `TarWithOptions`, `filepath.WalkDir`):
    /// a directory before what it holds, names sorted within each directory.
    static func writeWalked(_ planned: [PlannedMember], blobs: StagedBlobs, into members: ArchiveMemberWriter) throws {
        let ordered = planned.sorted { first, second in
            let firstParts = first.name.split(separator: "/").map { Array($0.utf8) }
            let secondParts = second.name.split(separator: "/").map { Array($0.utf8) }
            return firstParts.lexicographicallyPrecedes(secondParts) { $0.lexicographicallyPrecedes($1) }
        }
        for member in ordered {
            switch member.content {
            case .directory: try members.directory(member.name)
            case .document(let bytes): try members.file(member.name, bytes)
            case .layer(let layer, let diffID):
                try blobs.writeUncompressed(layer, diffID: diffID, as: member.name, into: members)
            case .symlink(let target): try members.symlink(member.name, to: target)
            }
        }
    }
}
