import ByteIO
import Codecs
import TarStream

import class Foundation.ProcessInfo

/// Where each member of an archive file is: one sequential pass over the tar records every member's normalised name,
/// kind, size and the offset of its data in the file. Blobs are then read from the file by offset
/// (`FileRangeSource`): the archive is never extracted, and never scanned again.
///
/// Repeated records of a name: the last one wins (as when a tar is extracted). Symbolic and hard links are followed
/// inside the archive only (`resolve`).
struct ArchiveIndex: Sendable {
    /// One member as its last record describes it.
    struct Member: Sendable, Equatable {
        enum Kind: Sendable, Equatable {
            case file
            case directory
            /// A symbolic link to a path relative to the member's directory.
            case symlink(String)
            /// A hard link to another member (a path from the archive's root).
            case hardlink(String)
            /// A device, FIFO or socket: nothing an image is made of.
            case other
        }

        /// The normalised name.
        let name: String
        let kind: Kind
        /// The data size (0 for all but files).
        let size: Int64
        /// Where the data starts in the archive file.
        let offset: Int64
        /// A sparse file: its data is stored as extents, not as one run of bytes at `offset`.
        let isSparse: Bool
    }

    /// The archive's path, for messages.
    let path: String
    /// The archive file, read by offset.
    let file: RandomAccessFile
    /// Every member by normalised name (the archive's root itself is not one).
    let members: [String: Member]

    /// Symbolic and hard links followed for one name at most: a chain this long is a loop.
    static let hopLimit = 40

    // MARK: The pass

    /// Reads the archive at `path` once, recording every member. A gzip- or zstd-compressed archive (`docker save |
    /// gzip`) is decompressed once into a nameless file in `temporaryDirectory`, which is then read by offset.
    static func scan(path: String, temporaryDirectory: String = defaultTemporaryDirectory) throws -> ArchiveIndex {
        let file = try tarFile(path: path, temporaryDirectory: temporaryDirectory)
        var members: [String: Member] = [:]
        let reader: TarReader
        do {
            reader = try TarReader(source: FileRangeSource(file: file, offset: 0, length: file.size))
        } catch let error as TarError {
            throw ArchiveError.invalid(path: path, member: nil, reason: "not a tar archive (\(error))")
        }
        var lastName: String?
        // Where the data of the last member read ends, to tell a truncated archive from a damaged one.
        var dataEnd: Int64 = 0
        do {
            while let entry = try reader.nextEntry() {
                let raw = entry.path.description
                let name: String
                do {
                    name = try MemberName.normalized(raw)
                } catch {
                    throw ArchiveError.invalid(path: path, member: raw, reason: Self.explain(error))
                }
                lastName = name
                dataEnd = reader.consumedPosition + (entry.size + 511) / 512 * 512
                guard !name.isEmpty else { continue }
                let kind = try Self.kind(of: entry, named: name, in: path)
                // A repeated directory record changes nothing; for everything else the last record wins.
                if kind == .directory, members[name]?.kind == .directory { continue }
                members[name] = Member(
                    name: name, kind: kind, size: kind == .file ? entry.size : 0, offset: reader.consumedPosition,
                    isSparse: entry.isSparse)
            }
        } catch let error as TarError {
            // The file ends inside a member's data or inside a block: it was cut short.
            let truncated = dataEnd > file.size || file.size % 512 != 0
            let reason = truncated ? "the archive is truncated" : "\(error)"
            throw ArchiveError.invalid(path: path, member: lastName.map { "after \($0)" }, reason: reason)
        }
        return ArchiveIndex(path: path, file: file, members: members)
    }

    /// The archive as an uncompressed tar: the file itself, or its decompressed bytes in a nameless file.
    private static func tarFile(path: String, temporaryDirectory: String) throws -> RandomAccessFile {
        let file = try RandomAccessFile(path: path)
        let magic = try file.read(at: 0, count: 6)
        let codec = Compression.sniff(magic)
        guard codec != .uncompressed else {
            if let other = otherCompression(magic) {
                throw ArchiveError.unsupported(
                    path: path,
                    reason: "the archive is \(other)-compressed; ocislim reads tar archives, uncompressed or "
                        + "compressed with gzip or zstd: decompress it first")
            }
            return file
        }
        do {
            // Inflating on a thread of its own while this one writes the spill.
            let tar = try makeDecompressingSource(
                codec, upstream: FileRangeSource(file: file, offset: 0, length: file.size), threads: 2)
            return try RandomAccessFile.spill(tar, into: temporaryDirectory, path: "\(path) (decompressed)")
        } catch let error as CodecError {
            throw ArchiveError.invalid(path: path, member: nil, reason: "\(error)")
        }
    }

    /// What a member is; a hard link's target is normalised like a name (and refused when it leaves the archive).
    private static func kind(of entry: TarEntry, named name: String, in path: String) throws -> Member.Kind {
        switch entry.kind {
        case .regular: return .file
        case .directory: return .directory
        case .symlink: return .symlink(entry.linkTarget?.description ?? "")
        case .hardlink:
            let target = entry.linkTarget?.description ?? ""
            do {
                return .hardlink(try MemberName.normalized(target))
            } catch {
                throw ArchiveError.invalid(
                    path: path, member: name, reason: "its hard link to \(target) leads outside the archive")
            }
        default: return .other
        }
    }

    /// `TMPDIR`, else `/tmp`.
    static var defaultTemporaryDirectory: String {
        ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// A compression no codec here reads, from the archive's first bytes.
    private static func otherCompression(_ magic: [UInt8]) -> String? {
        if magic.starts(with: Array("BZh".utf8)) { return "bzip2" }
        if magic.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return "xz" }
        return nil
    }

    private static func explain(_ defect: MemberName.Defect) -> String {
        switch defect {
        case .parentComponent: "its name has a '..' component, which would leave the archive"
        case .absolute: "its name is an absolute path, which would leave the archive"
        }
    }

    // MARK: Links

    /// The member `name` (a path from the archive's root) leads to, following symbolic links (relative to the
    /// link's directory) and hard links inside the archive; nil when nothing is there. Throws, naming `name`, when
    /// the links leave the archive or loop.
    func resolve(_ name: String) throws -> Member? {
        var hops = 0
        var pending: [Substring]
        do {
            pending = try MemberName.components(name).reversed()
        } catch {
            throw ArchiveError.invalid(path: path, member: name, reason: Self.explain(error))
        }
        var resolved: [Substring] = []
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                guard resolved.popLast() != nil else { throw escape(name) }
                continue
            }
            resolved.append(component)
            guard let member = members[resolved.joined(separator: "/")] else {
                // An absent directory on the way (tars need not record directories): the name may still be a member.
                if !pending.isEmpty { continue }
                return nil
            }
            switch member.kind {
            case .symlink(let target):
                hops += 1
                guard hops <= Self.hopLimit else { throw loop(name) }
                guard !target.hasPrefix("/") else { throw escape(name) }
                resolved.removeLast()
                pending += target.split(separator: "/", omittingEmptySubsequences: true).reversed()
            case .hardlink(let target):
                hops += 1
                guard hops <= Self.hopLimit else { throw loop(name) }
                resolved = []
                pending += target.split(separator: "/").reversed()
            case .file:
                if pending.isEmpty { return member }
            // A file with more below it: as with a directory missing from the tar, look the whole name up.
            case .directory, .other:
                if pending.isEmpty { return member }
            }
        }
        // The root itself.
        return nil
    }

    private func escape(_ name: String) -> ArchiveError {
        .invalid(path: path, member: name, reason: "its links lead outside the archive")
    }

    private func loop(_ name: String) -> ArchiveError {
        .invalid(path: path, member: name, reason: "its links loop (more than \(Self.hopLimit) hops)")
    }

    // MARK: Reading members

    /// The regular file `name` leads to; throws naming it when it is absent or not a file. `role` says what the
    /// member is to whoever names it (`the config of image 0 in manifest.json`).
    func file(_ name: String, role: String) throws -> Member {
        guard let member = try resolve(name) else {
            throw ArchiveError.invalid(path: path, member: name, reason: "missing (\(role))")
        }
        guard member.kind == .file else {
            throw ArchiveError.invalid(path: path, member: name, reason: "not a regular file (\(role))")
        }
        return member
    }

    /// A stream over a file member's bytes, read in place.
    func open(_ member: Member) throws -> FileRangeSource {
        // A sparse member's bytes are extents with holes between them, not one run at its offset.
        guard !member.isSparse else {
            throw ArchiveError.invalid(
                path: path, member: member.name, reason: "it is stored as a sparse file, which no image tool writes")
        }
        return FileRangeSource(file: file, offset: member.offset, length: member.size)
    }

    /// The first bytes of a member (fewer when it is shorter).
    func prefix(of member: Member, count: Int) throws -> [UInt8] {
        try file.read(at: member.offset, count: Int(min(Int64(count), member.size)))
    }

    /// A whole document member, refused over `limit` bytes.
    func document(_ member: Member, limit: Int) throws -> [UInt8] {
        guard member.size <= Int64(limit) else {
            throw ArchiveError.invalid(
                path: path, member: member.name,
                reason: "a \(member.size)-byte document is over the \(limit >> 20) MiB limit for documents")
        }
        return try open(member).readAll(limit: limit)
    }
}
