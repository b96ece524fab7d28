import CArchive

#if canImport(Glibc)
    import Glibc
#endif

/// The kind of a tar entry.
public enum TarEntryKind: Sendable, Equatable {
    case regular, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket, unknown
}

/// The metadata of one tar entry, read once from libarchive.
///
/// It keeps a private clone of libarchive's entry so that a changed copy can be written back with every record
/// the reader understood (xattrs, pax times, ACLs) intact.
public struct TarEntry {
    /// The entry's name.
    public let path: TarPath
    /// What the entry is.
    public let kind: TarEntryKind
    /// The data size in bytes (0 for everything but regular files).
    public let size: Int64
    /// The permission and mode bits (without the file type).
    public let permissions: UInt32
    /// Numeric owner.
    public let uid: Int64
    /// Numeric group.
    public let gid: Int64
    /// Modification time, whole seconds.
    public let mtime: Int64
    /// Modification time, nanoseconds part.
    public let mtimeNanoseconds: Int
    /// The target of a symlink or hardlink.
    public let linkTarget: TarPath?
    /// Extended attributes, in archive order.
    public let xattrs: [TarXattr]
    /// Whether the entry has a sparse map (GNU old sparse, or GNU sparse 0.0, 0.1 or 1.0 in pax records): its data
    /// is stored as extents at offsets, and `size` counts the holes between them.
    public let isSparse: Bool

    let handle: EntryHandle

    init(copying entry: OpaquePointer) throws {
        let handle = try EntryHandle(cloning: entry)
        self.handle = handle
        let raw = handle.pointer
        path = TarPath(bytes: Self.bytes(archive_entry_pathname(raw)))
        kind = Self.kind(archive_entry_filetype(raw), isHardlink: archive_entry_hardlink(raw) != nil)
        size = archive_entry_size_is_set(raw) != 0 ? archive_entry_size(raw) : 0
        permissions = UInt32(archive_entry_perm(raw))
        uid = archive_entry_uid(raw)
        gid = archive_entry_gid(raw)
        mtime = Int64(archive_entry_mtime(raw))
        mtimeNanoseconds = archive_entry_mtime_nsec(raw)
        isSparse = archive_entry_sparse_count(raw) > 0
        if let hardlink = archive_entry_hardlink(raw) {
            linkTarget = TarPath(bytes: Self.bytes(hardlink))
        } else if let symlink = archive_entry_symlink(raw) {
            linkTarget = TarPath(bytes: Self.bytes(symlink))
        } else {
            linkTarget = nil
        }
        var xattrs: [TarXattr] = []
        archive_entry_xattr_reset(raw)
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var length = 0
        while archive_entry_xattr_next(raw, &name, &value, &length) == ARCHIVE_OK {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
            xattrs.append(TarXattr(name: name.map { String(cString: $0) } ?? "", value: bytes))
        }
        self.xattrs = xattrs
    }

    private static func bytes(_ text: UnsafePointer<CChar>?) -> [UInt8] {
        guard let text else { return [] }
        return Array(UnsafeRawBufferPointer(start: text, count: strlen(text)))
    }

    private static func kind(_ type: UInt32, isHardlink: Bool) -> TarEntryKind {
        if isHardlink { return .hardlink }
        switch type {
        case OCISLIM_AE_IFREG: return .regular
        case OCISLIM_AE_IFDIR: return .directory
        case OCISLIM_AE_IFLNK: return .symlink
        case OCISLIM_AE_IFCHR: return .characterDevice
        case OCISLIM_AE_IFBLK: return .blockDevice
        case OCISLIM_AE_IFIFO: return .fifo
        case OCISLIM_AE_IFSOCK: return .socket
        default: return .unknown
        }
    }
}

/// One extended attribute of a tar entry.
public struct TarXattr: Equatable, Hashable, Sendable {
    /// The attribute's name, e.g. `security.capability`.
    public let name: String
    /// The attribute's raw value.
    public let value: [UInt8]
}

/// Owns one `archive_entry`; freed when the last copy of the owning `TarEntry` goes away.
final class EntryHandle {
    let pointer: OpaquePointer

    init(cloning entry: OpaquePointer) throws {
        guard let clone = archive_entry_clone(entry) else {
            throw TarError.archive(call: "archive_entry_clone", message: "out of memory", entry: nil)
        }
        pointer = clone
    }

    init() throws {
        guard let entry = archive_entry_new() else {
            throw TarError.archive(call: "archive_entry_new", message: "out of memory", entry: nil)
        }
        pointer = entry
    }

    deinit { archive_entry_free(pointer) }
}

@available(*, unavailable)
extension EntryHandle: Sendable {}

@available(*, unavailable)
extension TarEntry: Sendable {}
