import CArchive

#if canImport(Glibc)
    import Glibc
#endif

/// An entry to write that the input did not have in this form: a marker file, a whiteout, a hardlink, a renamed copy.
public struct NewTarEntry {
    let handle: EntryHandle

    /// A regular file with the given metadata; its data is written separately and must be `size` bytes.
    public static func regularFile(
        path: TarPath, size: Int64, permissions: UInt32 = 0o644, uid: Int64 = 0, gid: Int64 = 0, mtime: Int64 = 0
    ) throws -> NewTarEntry {
        let handle = try EntryHandle()
        let raw = handle.pointer
        setPath(raw, path)
        archive_entry_set_filetype(raw, OCISLIM_AE_IFREG)
        archive_entry_set_perm(raw, mode_t(permissions))
        archive_entry_set_size(raw, size)
        archive_entry_set_uid(raw, uid)
        archive_entry_set_gid(raw, gid)
        archive_entry_set_mtime(raw, time_t(mtime), 0)
        return NewTarEntry(handle: handle)
    }

    /// A directory.
    public static func directory(
        path: TarPath, permissions: UInt32 = 0o755, uid: Int64 = 0, gid: Int64 = 0, mtime: Int64 = 0
    ) throws -> NewTarEntry {
        let entry = try regularFile(path: path, size: 0, permissions: permissions, uid: uid, gid: gid, mtime: mtime)
        archive_entry_set_filetype(entry.handle.pointer, OCISLIM_AE_IFDIR)
        return entry
    }

    /// A symbolic link at `path` pointing to `target`.
    public static func symlink(path: TarPath, to target: TarPath, mtime: Int64 = 0) throws -> NewTarEntry {
        let entry = try regularFile(path: path, size: 0, permissions: 0o777, mtime: mtime)
        archive_entry_set_filetype(entry.handle.pointer, OCISLIM_AE_IFLNK)
        withCString(target) { archive_entry_copy_symlink(entry.handle.pointer, $0) }
        return entry
    }

    /// A hardlink at `path` to the earlier entry `target`, carrying `metadata`'s owner, mode, times and xattrs.
    public static func hardlink(path: TarPath, to target: TarPath, metadata: TarEntry) throws -> NewTarEntry {
        let handle = try EntryHandle(cloning: metadata.handle.pointer)
        let raw = handle.pointer
        setPath(raw, path)
        withCString(target) { archive_entry_copy_hardlink(raw, $0) }
        archive_entry_set_size(raw, 0)
        // A link has no data: a sparse map cloned from a sparse file would describe extents it does not carry.
        archive_entry_sparse_clear(raw)
        return NewTarEntry(handle: handle)
    }

    /// A copy of `entry` under another name (its data follows from the input stream).
    public static func renamed(_ entry: TarEntry, to path: TarPath) throws -> NewTarEntry {
        let handle = try EntryHandle(cloning: entry.handle.pointer)
        setPath(handle.pointer, path)
        return NewTarEntry(handle: handle)
    }

    /// A copy of `entry`'s metadata (owner, mode, times, xattrs) as a regular file at `path`; its size is set when
    /// its data is written.
    public static func regularFile(path: TarPath, metadataFrom entry: TarEntry) throws -> NewTarEntry {
        let handle = try EntryHandle(cloning: entry.handle.pointer)
        setPath(handle.pointer, path)
        archive_entry_set_filetype(handle.pointer, OCISLIM_AE_IFREG)
        archive_entry_set_hardlink(handle.pointer, nil)
        archive_entry_set_symlink(handle.pointer, nil)
        // The new data is written whole; a sparse map cloned from the input would make the writer skip its "holes".
        archive_entry_sparse_clear(handle.pointer)
        return NewTarEntry(handle: handle)
    }

    /// Sets the data size the header announces.
    func setSize(_ size: Int64) { archive_entry_set_size(handle.pointer, size) }

    /// The entry's name.
    public var path: TarPath {
        guard let text = archive_entry_pathname(handle.pointer) else { return TarPath(bytes: []) }
        return TarPath(bytes: Array(UnsafeRawBufferPointer(start: text, count: strlen(text))))
    }

    private static func setPath(_ raw: OpaquePointer, _ path: TarPath) {
        withCString(path) { archive_entry_copy_pathname(raw, $0) }
    }
}

@available(*, unavailable)
extension NewTarEntry: Sendable {}

/// Calls `body` with the name as a NUL-terminated C string of its raw bytes.
func withCString<T>(_ path: TarPath, _ body: (UnsafePointer<CChar>) -> T) -> T {
    let terminated = path.bytes.map { CChar(bitPattern: $0) } + [0]
    return terminated.withUnsafeBufferPointer { buffer in
        // A non-empty array always has storage.
        guard let start = buffer.baseAddress else { preconditionFailure("a terminated C string is never empty") }
        return body(start)
    }
}
