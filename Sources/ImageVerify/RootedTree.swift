#if canImport(Glibc)
    import Glibc
#endif

/// A directory tree reached only through a descriptor of its root: every lookup walks the path one component at a
/// time with `O_NOFOLLOW`, so a symbolic link in the image (say `etc -> /`) never leads a removal outside the root.
/// A path that would cross a link names nothing in the tree.
final class RootedTree {
    let root: String
    private let descriptor: Int32

    /// Opens the directory `root`.
    init(root: String) throws {
        self.root = root
        descriptor = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw VerifyError.tree(path: root, call: "open", errno: errno) }
    }

    deinit { close(descriptor) }

    /// The type bits (`S_IFMT`) of what `path` names, without following a final link; nil when nothing is there (or
    /// the way there crosses a link or a non-directory).
    func fileType(_ path: EntryPath) throws -> mode_t? {
        guard let last = path.components.last else { return S_IFDIR }
        guard let parent = try openParent(path) else { return nil }
        defer { close(parent) }
        var status = stat()
        let result = last.withCString { fstatat(parent, $0, &status, AT_SYMLINK_NOFOLLOW) }
        guard result == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw VerifyError.tree(path: describe(path), call: "fstatat", errno: errno)
        }
        return status.st_mode & S_IFMT
    }

    /// Removes what `path` names, a whole directory tree included; nothing when it is not there.
    func remove(_ path: EntryPath) throws {
        guard let last = path.components.last, let parent = try openParent(path) else { return }
        defer { close(parent) }
        try removeEntry(named: last, in: parent, path: path)
    }

    /// Removes everything below the directory `path` except the paths in `keep` and the directories leading to them
    /// (`keepAncestors`): an opaque directory keeps only what its own layer wrote.
    func prune(_ path: EntryPath, keep: Set<EntryPath>, keepAncestors: Set<EntryPath>) throws {
        guard let directory = try openDirectory(path) else { return }
        defer { close(directory) }
        for name in try names(in: directory, path: path) {
            let child = path.appending(name)
            if keep.contains(child) || keepAncestors.contains(child) {
                var status = stat()
                let isDirectory =
                    name.withCString { fstatat(directory, $0, &status, AT_SYMLINK_NOFOLLOW) } == 0
                    && status.st_mode & S_IFMT == S_IFDIR
                if isDirectory { try prune(child, keep: keep, keepAncestors: keepAncestors) }
            } else {
                try removeEntry(named: name, in: directory, path: child)
            }
        }
    }

    /// Gives the owner full access to every directory, so that a process that is not root can remove the tree even
    /// where the image's modes deny it.
    func makeRemovable() {
        makeRemovable(descriptor)
    }

    private func makeRemovable(_ directory: Int32) {
        fchmod(directory, S_IRWXU)
        guard let list = try? names(in: directory, path: EntryPath(components: [])) else { return }
        for name in list {
            var status = stat()
            guard name.withCString({ fstatat(directory, $0, &status, AT_SYMLINK_NOFOLLOW) }) == 0,
                status.st_mode & S_IFMT == S_IFDIR
            else { continue }
            let child = name.withCString { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard child >= 0 else {
                _ = name.withCString { fchmodat(directory, $0, S_IRWXU, 0) }
                let retried = name.withCString {
                    openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                if retried >= 0 {
                    makeRemovable(retried)
                    close(retried)
                }
                continue
            }
            makeRemovable(child)
            close(child)
        }
    }

    // MARK: Walking

    /// A descriptor of the directory holding `path`'s last component, or nil when the way there is not a chain of
    /// real directories.
    private func openParent(_ path: EntryPath) throws -> Int32? {
        try openDirectory(EntryPath(components: Array(path.components.dropLast())))
    }

    /// A descriptor of the directory `path`, or nil when it is not a chain of real directories.
    func openDirectory(_ path: EntryPath) throws -> Int32? {
        var current = dup(descriptor)
        guard current >= 0 else { throw VerifyError.tree(path: root, call: "dup", errno: errno) }
        for (position, component) in path.components.enumerated() {
            let next = component.withCString { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            let code = errno
            close(current)
            guard next >= 0 else {
                if [ENOENT, ENOTDIR, ELOOP].contains(code) { return nil }
                let prefix = EntryPath(components: Array(path.components[...position]))
                throw VerifyError.tree(path: describe(prefix), call: "openat", errno: code)
            }
            current = next
        }
        return current
    }

    private func removeEntry(named name: [CChar], in directory: Int32, path: EntryPath) throws {
        var status = stat()
        guard name.withCString({ fstatat(directory, $0, &status, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            if errno == ENOENT { return }
            throw VerifyError.tree(path: describe(path), call: "fstatat", errno: errno)
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            let child = name.withCString { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard child >= 0 else { throw VerifyError.tree(path: describe(path), call: "openat", errno: errno) }
            defer { close(child) }
            if geteuid() != 0 { fchmod(child, S_IRWXU) }
            for entry in try names(in: child, path: path) {
                try removeEntry(named: entry, in: child, path: path.appending(entry))
            }
            guard name.withCString({ unlinkat(directory, $0, AT_REMOVEDIR) }) == 0 else {
                throw VerifyError.tree(path: describe(path), call: "rmdir", errno: errno)
            }
        } else {
            guard name.withCString({ unlinkat(directory, $0, 0) }) == 0 else {
                throw VerifyError.tree(path: describe(path), call: "unlink", errno: errno)
            }
        }
    }

    /// The names in a directory, without `.` and `..`, as C strings (names are bytes, not always UTF-8).
    private func names(in directory: Int32, path: EntryPath) throws -> [[CChar]] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else {
            throw VerifyError.tree(path: describe(path), call: "opendir", errno: errno)
        }
        defer { closedir(stream) }
        var names: [[CChar]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 }.map { CChar(bitPattern: $0) })
            }
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name + [0]) }
        }
        return names
    }

    private func describe(_ path: EntryPath) -> String { root + "/" + path.description }
}

/// A path inside an image, as components of bytes (each NUL-terminated for the system calls): no empty, `.` or `..`
/// component.
struct EntryPath: Hashable, Sendable, CustomStringConvertible {
    /// The components, each ending in a NUL.
    var components: [[CChar]]

    /// The path with one more component (`name` ends in a NUL).
    func appending(_ name: [CChar]) -> EntryPath { EntryPath(components: components + [name]) }

    /// The directories above the path, nearest last.
    var ancestors: [EntryPath] {
        (0..<components.count).map { EntryPath(components: Array(components[..<$0])) }.filter {
            !$0.components.isEmpty
        }
    }

    /// The path without its last component.
    var parent: EntryPath { EntryPath(components: Array(components.dropLast())) }

    /// The last component without its NUL, as bytes.
    var lastName: [UInt8] { components.last.map { $0.dropLast().map { UInt8(bitPattern: $0) } } ?? [] }

    var description: String {
        components.map { String(decoding: $0.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self) }.joined(
            separator: "/")
    }

    /// The relative name libarchive writes to (run from the root): `a/b/c`, NUL-terminated.
    var relativeName: [CChar] {
        var name: [CChar] = []
        for (position, component) in components.enumerated() {
            if position > 0 { name.append(0x2f) }
            name.append(contentsOf: component.dropLast())
        }
        return name + [0]
    }

    /// Parses a tar name: a leading `/` or `./` and empty or `.` components are dropped, as container runtimes do;
    /// nil when a component is `..`.
    init?(tarName bytes: [UInt8]) {
        var components: [[CChar]] = []
        for part in bytes.split(separator: 0x2f, omittingEmptySubsequences: true) {
            if part.elementsEqual([0x2e]) { continue }
            if part.elementsEqual([0x2e, 0x2e]) { return nil }
            components.append(part.map { CChar(bitPattern: $0) } + [0])
        }
        self.components = components
    }

    init(components: [[CChar]]) { self.components = components }
}

extension [CChar] {
    /// Calls `body` with the array as a C string (it ends in a NUL).
    func withCString<Result>(_ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        try withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return try "".withCString(body) }
            return try body(base)
        }
    }
}
