import CArchive
import TarStream

#if canImport(Glibc)
    import Glibc
#endif

/// libarchive's disk writer with its secure-extraction checks: no `..` component, no absolute name, nothing written
/// through a symbolic link. Names are relative to the current directory, which the caller sets to the image root on a
/// thread of its own (`IsolatedDirectory`). Modes, times and, for root, owners are kept; directories get their final
/// modes when the writer finishes, so a read-only directory of a lower layer can still receive upper layers' files.
final class DiskWriter {
    private let archive: OpaquePointer
    private var finished = false

    /// The checks and what is restored. Not `ARCHIVE_EXTRACT_UNLINK`: with it libarchive replaces a symbolic link on
    /// the way to an entry by a directory (a merged-`/usr` image would lose `/lib`); without it the entry is refused
    /// and the link kept. An entry still replaces what is at its own path.
    static var options: Int32 {
        var options =
            ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS
            | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME
        if geteuid() == 0 { options |= ARCHIVE_EXTRACT_OWNER }
        return options
    }

    init() throws {
        guard let archive = archive_write_disk_new() else {
            throw VerifyError.tree(path: ".", call: "archive_write_disk_new", errno: ENOMEM)
        }
        self.archive = archive
        archive_write_disk_set_options(archive, Self.options)
    }

    deinit { archive_write_free(archive) }

    /// What writing one entry came to.
    enum Outcome: Equatable {
        case written
        /// libarchive refused the entry (a secure-extraction check, a link to nothing); the tree goes on without it.
        case refused(String)
    }

    /// Writes one entry at `path`, taking its data from `reader` (the entry `reader` read last).
    func write(_ entry: TarEntry, at path: EntryPath, reader: TarReader) throws -> Outcome {
        guard let raw = archive_entry_new() else {
            throw VerifyError.tree(path: path.description, call: "archive_entry_new", errno: ENOMEM)
        }
        defer { archive_entry_free(raw) }
        path.relativeName.withUnsafeBufferPointer { archive_entry_copy_pathname(raw, $0.baseAddress) }
        archive_entry_set_perm(raw, mode_t(entry.permissions & 0o7777))
        archive_entry_set_uid(raw, entry.uid)
        archive_entry_set_gid(raw, entry.gid)
        archive_entry_set_mtime(raw, time_t(entry.mtime), entry.mtimeNanoseconds)
        switch entry.kind {
        case .regular:
            archive_entry_set_filetype(raw, OCISLIM_AE_IFREG)
            archive_entry_set_size(raw, entry.size)
        case .directory:
            archive_entry_set_filetype(raw, OCISLIM_AE_IFDIR)
        case .symlink:
            archive_entry_set_filetype(raw, OCISLIM_AE_IFLNK)
            let target = (entry.linkTarget?.bytes ?? []).map { CChar(bitPattern: $0) } + [0]
            target.withUnsafeBufferPointer { archive_entry_copy_symlink(raw, $0.baseAddress) }
        case .hardlink:
            archive_entry_set_filetype(raw, OCISLIM_AE_IFREG)
            archive_entry_set_size(raw, 0)
            guard let target = entry.linkTarget.flatMap({ EntryPath(tarName: $0.bytes) }) else {
                return .refused("its link target leaves the image root")
            }
            target.relativeName.withUnsafeBufferPointer { archive_entry_copy_hardlink(raw, $0.baseAddress) }
        case .fifo:
            archive_entry_set_filetype(raw, OCISLIM_AE_IFIFO)
        case .characterDevice, .blockDevice, .socket, .unknown:
            return .refused("device nodes and sockets are not made")
        }
        let header = archive_write_header(archive, raw)
        if let refusal = try check(header, path: path) { return .refused(refusal) }
        if entry.kind == .regular && entry.size > 0 {
            while let block = try reader.nextDataBlock() {
                var offset = 0
                while offset < block.count {
                    let written = archive_write_data(
                        archive, block.baseAddress.map { $0 + offset }, block.count - offset)
                    guard written > 0 else {
                        // libarchive reports a failed write(2) as a warning: the file would be short, not refused.
                        if written < 0 && archive_errno(archive) != 0 {
                            throw VerifyError.tree(path: path.description, call: "write", errno: archive_errno(archive))
                        }
                        if let refusal = try check(Int32(written), path: path) { return .refused(refusal) }
                        break
                    }
                    offset += written
                }
            }
        }
        if let refusal = try check(archive_write_finish_entry(archive), path: path) { return .refused(refusal) }
        return .written
    }

    /// Sets the directories' final modes and times; safe to call twice.
    func finish() throws {
        guard !finished else { return }
        finished = true
        _ = try check(archive_write_close(archive), path: EntryPath(components: []))
    }

    /// nil when the call succeeded (a warning, such as an owner not kept, is success); the message when libarchive
    /// refused this entry only; throws when the writer cannot go on or the filesystem is full.
    private func check(_ result: Int32, path: EntryPath) throws -> String? {
        // A full filesystem is the machine's state, not the entry's: the tree cannot be finished there.
        if result != ARCHIVE_OK && [ENOSPC, EDQUOT].contains(archive_errno(archive)) {
            throw VerifyError.tree(path: path.description, call: "archive_write_disk", errno: archive_errno(archive))
        }
        switch result {
        case ARCHIVE_OK, ARCHIVE_WARN: return nil
        case ARCHIVE_FAILED, ARCHIVE_RETRY: return message
        default:
            throw VerifyError.tree(path: path.description, call: "archive_write_disk", errno: archive_errno(archive))
        }
    }

    private var message: String {
        archive_error_string(archive).map { String(cString: $0) } ?? "libarchive refused it"
    }
}

@available(*, unavailable) extension DiskWriter: Sendable {}
