#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Directory operations the output side needs for crash safety, each failing with the path and `errno`.
public enum Directory {
    /// Flushes a directory's entries (the names renamed or created in it) to disk.
    ///
    /// A file's own `fsync` does not make its name durable; after a power cut the rename may be lost unless the
    /// directory holding it is synced too.
    public static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ByteIOError.open(path: path, errno: errno) }
        defer { close(descriptor) }
        // Some file systems (and tmpfs) answer EINVAL for directories: nothing to flush there.
        if fsync(descriptor) != 0 && errno != EINVAL { throw ByteIOError.write(path: path, errno: errno) }
    }

    /// Removes `path` and everything below it, without following symbolic links; a missing path is not an error.
    ///
    /// Entries that appear while it runs (a writer still finishing) are removed by a second pass.
    public static func removeTree(_ path: String) throws {
        for attempt in 0..<3 {
            do {
                try removeTreeOnce(path)
                return
            } catch ByteIOError.write(_, ENOTEMPTY) where attempt < 2 {
                continue
            }
        }
    }

    /// Removes everything inside the directory `path`, keeping the directory itself.
    public static func removeContents(_ path: String) throws {
        for name in try entries(path) { try removeTreeOnce(path + "/" + name) }
    }

    /// The names in a directory, without `.` and `..`.
    public static func entries(_ path: String) throws -> [String] {
        guard let stream = opendir(path) else { throw ByteIOError.open(path: path, errno: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private static func removeTreeOnce(_ path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw ByteIOError.open(path: path, errno: errno)
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            for name in try entries(path) { try removeTreeOnce(path + "/" + name) }
            guard rmdir(path) == 0 || errno == ENOENT else { throw ByteIOError.write(path: path, errno: errno) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw ByteIOError.write(path: path, errno: errno) }
        }
    }
}

/// A path with every symbolic link resolved, as the kernel would walk it, for comparing where two paths really are.
public enum RealPath {
    /// The absolute, resolved form of `path`. Its existing part goes through `realpath(3)`; components below that
    /// do not exist yet are appended as written (they cannot be links), after `.` and `..` are folded.
    public static func resolve(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : currentDirectory() + "/" + path
        var existing = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var missing: [String] = []
        while true {
            let candidate = "/" + existing.joined(separator: "/")
            if let resolved = realpath(candidate, nil) {
                defer { free(resolved) }
                return fold(String(cString: resolved), missing.reversed())
            }
            guard let last = existing.popLast() else { return fold("/", missing.reversed()) }
            missing.append(last)
        }
    }

    /// Whether `path` is `ancestor` or lies below it (both already resolved).
    public static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        path == ancestor || ancestor == "/" || path.hasPrefix(ancestor + "/")
    }

    private static func fold(_ base: String, _ components: [String]) -> String {
        var parts = base.split(separator: "/").map(String.init)
        for component in components {
            switch component {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    private static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }
}
