import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the Python interpreters of a materialised image by looking at its files (nothing of the image runs here):
/// `python3` and `python3.N` in `/usr/bin` and `/usr/local/bin`, one per distinct program, and `bin/python` of every
/// virtual environment (a directory holding `pyvenv.cfg`).
struct InterpreterFinder {
    /// The image root.
    let root: String

    /// The interpreters' paths inside the image, system ones first.
    func interpreters() -> [String] {
        var found: [String] = []
        var programs: Set<String> = []
        for directory in ["/usr/bin", "/usr/local/bin"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + directory)) ?? []
            // `python3` before `python3.11`, so the shorter name stands for the program both name.
            for name in names.filter(Self.isInterpreterName).sorted(by: { ($0.count, $0) < ($1.count, $1) }) {
                let path = directory + "/" + name
                guard let program = resolve(path), isExecutableFile(program), programs.insert(program).inserted
                else { continue }
                found.append(path)
            }
        }
        for environment in virtualEnvironments() {
            for name in ["python", "python3"] {
                let path = environment + "/bin/" + name
                if let program = resolve(path), isExecutableFile(program) {
                    found.append(path)
                    break
                }
            }
        }
        return found
    }

    /// `python3` or `python3.N`.
    static func isInterpreterName(_ name: String) -> Bool {
        guard name.hasPrefix("python3") else { return false }
        let rest = name.dropFirst("python3".count)
        return rest.isEmpty || (rest.first == "." && rest.count > 1 && rest.dropFirst().allSatisfy(\.isNumber))
    }

    /// The directories (inside the image) that hold a `pyvenv.cfg`, sorted.
    func virtualEnvironments() -> [String] {
        var found: [String] = []
        walk("", depth: 0) { directory, name in
            if name == "pyvenv.cfg" { found.append(directory.isEmpty ? "/" : directory) }
        }
        return found.sorted()
    }

    /// Calls `visit` with each non-directory name below `directory`, never following links; skips the kernel's
    /// mount points.
    private func walk(_ directory: String, depth: Int, _ visit: (String, String) -> Void) {
        guard depth < 64, let stream = opendir(root + directory + "/") else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            let path = directory + "/" + name
            var isDirectory = Int32(entry.pointee.d_type) == Int32(DT_DIR)
            if Int32(entry.pointee.d_type) == Int32(DT_UNKNOWN) {
                var status = stat()
                isDirectory = lstat(root + path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
            }
            if isDirectory {
                if depth == 0 && ["proc", "sys", "dev"].contains(name) { continue }
                walk(path, depth: depth + 1, visit)
            } else {
                visit(directory, name)
            }
        }
    }

    /// Follows links in `path` (inside the image, absolute), as the image sees them: an absolute target starts again
    /// at the image root. nil for a dangling path or a loop.
    func resolve(_ path: String) -> String? {
        var pending = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == "." { continue }
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = "/" + (resolved + [component]).joined(separator: "/")
            var status = stat()
            guard lstat(root + candidate, &status) == 0 else { return nil }
            guard status.st_mode & S_IFMT == S_IFLNK else {
                resolved.append(component)
                continue
            }
            hops += 1
            guard hops <= 40, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: root + candidate)
            else { return nil }
            if target.hasPrefix("/") { resolved = [] }
            pending = target.split(separator: "/").map(String.init) + pending
        }
        return "/" + resolved.joined(separator: "/")
    }

    private func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return lstat(root + path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && status.st_mode & 0o111 != 0
    }
}
