import PythonMinimizer
import TarStream

/// A tar entry that ocislim refuses to read, keep or write, with the entry's name as stored.
///
/// Each class is one where container runtimes disagree with each other or with ocislim's reading of the layer
/// (moby's `pkg/archive` refuses what containerd's `archive/tar.go` silently clamps into the root, Go's tar reader
/// sees what libarchive skips), or where applying the layer fails. The layer is refused, naming the entry: an
/// image minimizer does not guess which reading the image's author meant, and never writes such an entry.
public enum UnsafeEntry: Error, Equatable, CustomStringConvertible {
    /// A `..` component: moby refuses a name that escapes the root, containerd clamps it inside.
    case parentComponent(TarPath)
    /// An absolute name (`/etc/x`): runtimes read it under the root, GNU tar strips the `/`; nothing writes them.
    case absoluteName(TarPath)
    /// A `.` or empty component inside the name (`usr/./lib`, `usr//lib`): runtimes clean it to another spelling
    /// of a path the layer may also hold, which ocislim's merged view (leading `./` and trailing `/` only) would
    /// take for a different file.
    case unnormalizedName(TarPath)
    /// The root itself (`.`, `./`, `/`) as something other than a directory.
    case rootNotDirectory(TarPath, TarEntryKind)
    /// The same path (however spelt: `foo.py`, `./foo.py`) twice in one layer, other than a directory twice.
    case duplicatePath(TarPath, earlier: TarPath)
    /// A whiteout that names no file (`.wh.`, `.wh..`, `.wh...`) or uses the reserved `.wh..wh.` prefix
    /// other than the opaque marker: containerd skips those, the spec reserves them, `.wh..` would delete the
    /// whiteout's own directory.
    case invalidWhiteout(TarPath)
    /// A hardlink whose target is absolute or has a `..` component.
    case hardlinkOutside(TarPath, target: TarPath)
    /// A hardlink to no earlier file of its layer or a lower one (absent, later in the layer, whited out, or a
    /// directory): `link(2)` fails on apply, and a rewrite could not keep its target.
    case danglingHardlink(TarPath, target: TarPath)

    public var description: String {
        switch self {
        case .parentComponent(let path): "tar entry \(path): its name has a '..' component"
        case .absoluteName(let path): "tar entry \(path): its name is absolute"
        case .unnormalizedName(let path): "tar entry \(path): its name has a '.' or empty component inside it"
        case .rootNotDirectory(let path, let kind):
            "tar entry \(path): the image root must be a directory, not a \(Self.noun(kind))"
        case .duplicatePath(let path, let earlier):
            "tar entry \(path): the layer already has an entry for this path (\(earlier))"
        case .invalidWhiteout(let path): "tar entry \(path): a whiteout that names no file"
        case .hardlinkOutside(let path, let target):
            "tar entry \(path): a hardlink to \(target), which is not a relative path inside the image"
        case .danglingHardlink(let path, let target):
            "tar entry \(path): a hardlink to \(target), which is not a file of an earlier entry or a lower layer"
        }
    }
}

extension UnsafeEntry {
    static func noun(_ kind: TarEntryKind) -> String {
        switch kind {
        case .regular: "regular file"
        case .directory: "directory"
        case .symlink: "symlink"
        case .hardlink: "hardlink"
        case .characterDevice: "character device"
        case .blockDevice: "block device"
        case .fifo: "FIFO"
        case .socket: "socket"
        case .unknown: "special file"
        }
    }
}

/// The rules every entry of a layer must pass, checked in archive order while the layer is scanned (see
/// `UnsafeEntry` for why each exists). Hardlinks whose target is not in the layer are checked against the lower
/// layers afterwards, by `HardlinkTargets`.
struct EntryRules {
    /// The kind and spelling of each path met so far.
    private var seen: [ImagePath: (name: TarPath, kind: TarEntryKind)] = [:]

    mutating func check(_ entry: TarEntry) throws {
        let name = entry.path.bytes
        if Self.hasParentComponent(name) { throw UnsafeEntry.parentComponent(entry.path) }
        if name.first == 0x2f { throw UnsafeEntry.absoluteName(entry.path) }
        let path = ImagePath(tarName: name)
        if !path.bytes.isEmpty,
            path.bytes.split(separator: 0x2f, omittingEmptySubsequences: false).contains(where: {
                $0.isEmpty || $0.elementsEqual([0x2e])
            })
        {
            throw UnsafeEntry.unnormalizedName(entry.path)
        }
        if path.bytes.isEmpty, entry.kind != .directory { throw UnsafeEntry.rootNotDirectory(entry.path, entry.kind) }
        if let earlier = seen[path], earlier.kind != .directory || entry.kind != .directory {
            throw UnsafeEntry.duplicatePath(entry.path, earlier: earlier.name)
        }
        if Whiteout.namesNothing(path.name) { throw UnsafeEntry.invalidWhiteout(entry.path) }
        if entry.kind == .hardlink {
            try checkHardlink(entry)
        }
        seen[path] = (entry.path, entry.kind)
    }

    private func checkHardlink(_ entry: TarEntry) throws {
        let target = entry.linkTarget ?? TarPath(bytes: [])
        if target.bytes.first == 0x2f || Self.hasParentComponent(target.bytes)
            || ImagePath(tarName: target.bytes).bytes.isEmpty
        {
            throw UnsafeEntry.hardlinkOutside(entry.path, target: target)
        }
        // A hardlink that carries data (pax allows it; Go's and GNU's readers skip it) is refused while reading its
        // headers: `HeaderDisagreement.dataOnNonFile`.
        // A target earlier in the layer must be a file; one not in the layer is looked for below, later.
        if let earlier = seen[ImagePath(tarName: target.bytes)], earlier.kind == .directory {
            throw UnsafeEntry.danglingHardlink(entry.path, target: target)
        }
    }

    /// Whether a name has a `..` component: read under the root, it would reach above it.
    private static func hasParentComponent(_ name: [UInt8]) -> Bool {
        name.split(separator: 0x2f, omittingEmptySubsequences: true).contains { $0.elementsEqual([0x2e, 0x2e]) }
    }
}
