import ByteIO
import Foundation

/// An output layout that appears atomically: everything is written into a staging directory beside the output
/// and renamed into place by `publish()`; until then, and after any failure, the output path is untouched.
///
/// The staging directory's name is fixed for an output (`.NAME.ocislim`), and a run holds an advisory lock on it
/// (`flock`) from start to end. So a second run into the same output fails at once instead of after all its work,
/// and a rerun after a crash or `SIGKILL` reclaims what the dead run left: the kernel releases a dead process's
/// lock, so a staging directory nobody holds is known to be abandoned, without guessing from process IDs.
public final class OutputLayout: Sendable {
    /// The final path.
    public let path: String
    /// Where the layout is built.
    public let stagingPath: String
    /// The blob store inside the staging directory.
    public let blobs: LayoutBlobStore
    /// The open staging directory holding the lock; closed (releasing it) when the layout goes away.
    private let lock: Int32

    /// Parent directories this layout created (deepest first), removed again if it is discarded.
    private let createdParents: [String]

    /// Checks that `path` does not exist or is an empty directory and lies neither inside `input` nor around it,
    /// creates its missing parent directories (as skopeo does), then takes the staging directory, reclaiming one left
    /// by a run that died. All of it happens before any layer is read.
    public init(path: String, input: String) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        self.path = url.path
        let parent = url.deletingLastPathComponent().path
        stagingPath = parent + "/.\(url.lastPathComponent).ocislim"
        try Self.checkEmpty(self.path)
        try Self.checkApart(output: self.path, staging: stagingPath, input: input)
        let created = try Self.createParents(parent)
        createdParents = created
        do {
            lock = try Self.lockStaging(stagingPath, output: self.path)
        } catch {
            Self.removeCreated(created)
            throw error
        }
        do {
            // Held by us: whatever is inside was left by a run that no longer exists.
            try Directory.removeContents(stagingPath)
            blobs = try LayoutBlobStore(layoutPath: stagingPath)
        } catch {
            close(lock)
            try? Directory.removeTree(stagingPath)
            Self.removeCreated(created)
            throw OCIError.output(path: stagingPath, reason: "\(error)")
        }
        StagingRegistry.shared.add(stagingPath, createdParents: created)
    }

    deinit { close(lock) }

    /// Writes a top-level file (`oci-layout`, `index.json`), every byte, flushed to disk.
    public func writeFile(_ name: String, _ bytes: [UInt8]) throws {
        let file = try FileSink(creating: "\(stagingPath)/\(name)")
        try bytes.withUnsafeBytes { try file.write($0) }
        try file.finish()
    }

    /// Makes the staging directory durable, renames it to the output path (an empty output directory is replaced)
    /// and makes the rename durable.
    public func publish() throws {
        try Self.checkEmpty(path)
        for directory in [blobs.directory, stagingPath + "/blobs", stagingPath] {
            try Directory.sync(directory)
        }
        // rename(2) replaces an empty directory atomically.
        guard rename(stagingPath, path) == 0 else {
            throw OCIError.output(path: path, reason: ByteIOError.reason(errno))
        }
        StagingRegistry.shared.remove(stagingPath)
        try Directory.sync(URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Publishes an archive made from the finished staging layout instead of the layout itself: `write` streams it
    /// into a file inside the staging directory, which is flushed, renamed to the output path (which must not exist)
    /// and made durable; the staging directory is then removed.
    public func publishArchive(_ write: (ByteSink) throws -> Void) throws {
        let archivePath = stagingPath + "/.archive"
        let file = try FileSink(creating: archivePath)
        try write(file)
        try file.finish()
        guard !FileManager.default.fileExists(atPath: path) else { throw OCIError.outputNotEmpty(path: path) }
        guard rename(archivePath, path) == 0 else {
            throw OCIError.output(path: path, reason: ByteIOError.reason(errno))
        }
        try Directory.sync(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        StagingRegistry.shared.remove(stagingPath)
        try? Directory.removeTree(stagingPath)
    }

    /// Removes the staging directory; used when the rewrite fails.
    public func discard() {
        StagingRegistry.shared.remove(stagingPath)
        try? Directory.removeTree(stagingPath)
        Self.removeCreated(createdParents)
    }

    /// Creates the missing directories of `parent`, top down; returns them deepest first.
    private static func createParents(_ parent: String) throws -> [String] {
        var missing: [String] = []
        var directory = parent
        while !FileManager.default.fileExists(atPath: directory), directory != "/" {
            missing.append(directory)
            directory = URL(fileURLWithPath: directory).deletingLastPathComponent().path
        }
        var created: [String] = []
        for directory in missing.reversed() {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
                let code = errno
                removeCreated(created.reversed())
                throw OCIError.output(path: directory, reason: ByteIOError.reason(code))
            }
            created.append(directory)
        }
        return created.reversed()
    }

    /// Removes directories this layout created, deepest first, as long as they are empty.
    fileprivate static func removeCreated(_ directories: some Sequence<String>) {
        for directory in directories { rmdir(directory) }
    }

    private static func checkEmpty(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        let contents = isDirectory.boolValue ? (try? Directory.entries(path)) : nil
        guard let contents, contents.isEmpty else { throw OCIError.outputNotEmpty(path: path) }
    }

    /// Refuses an output (or its staging directory) inside the input, and an input inside the output, comparing
    /// paths with every symbolic link resolved: writing there would modify the input.
    private static func checkApart(output: String, staging: String, input: String) throws {
        let realInput = RealPath.resolve(input)
        for candidate in [output, staging] {
            let real = RealPath.resolve(candidate)
            if RealPath.isWithin(real, realInput) || RealPath.isWithin(realInput, real) {
                throw OCIError.outputOverlapsInput(output: output, input: input)
            }
        }
    }

    /// Opens (creating it if needed) the staging directory and locks it; a lock held elsewhere fails at once.
    private static func lockStaging(_ staging: String, output: String) throws -> Int32 {
        if mkdir(staging, 0o755) != 0 && errno != EEXIST {
            throw OCIError.output(path: staging, reason: ByteIOError.reason(errno))
        }
        // A planted symlink must not redirect the output elsewhere: only a real directory is used (O_NOFOLLOW
        // closes the window between this check and the open).
        var status = stat()
        guard lstat(staging, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw OCIError.output(path: staging, reason: "it exists and is not a directory; remove it")
        }
        let descriptor = open(staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw OCIError.output(path: staging, reason: ByteIOError.reason(errno))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw OCIError.outputBusy(path: output, staging: staging) }
            throw OCIError.output(path: staging, reason: ByteIOError.reason(code))
        }
        return descriptor
    }
}

/// The staging directories and temp files of this process, for removal when it is interrupted (`SIGINT`, `SIGTERM`).
public final class StagingRegistry: @unchecked Sendable {
    /// The process's registry.
    public static let shared = StagingRegistry()

    /// A registry of its own, not the one the signal handlers empty (for tests).
    package init() {}

    // Guarded by `lock`: layouts come and go on any task, the signal handler reads from its own queue.
    private let lock = NSLock()
    private var paths: [String: [String]] = [:]

    func add(_ path: String, createdParents: [String]) { lock.withLock { paths[path] = createdParents } }

    /// Registers a temporary directory (standard input spilled to disk) or file (a report being written) of this run
    /// for removal on interruption.
    public func add(temporary path: String) { add(path, createdParents: []) }

    /// Forgets a directory that was removed or published.
    public func remove(_ path: String) { lock.withLock { _ = paths.removeValue(forKey: path) } }

    /// Whether `path` would be removed on interruption.
    package func isRegistered(_ path: String) -> Bool { lock.withLock { paths[path] != nil } }

    /// Removes every staging directory still registered, and the parents its run created; returns once they are gone.
    public func removeAll() {
        let paths = lock.withLock { self.paths }
        for (path, createdParents) in paths {
            try? Directory.removeTree(path)
            OutputLayout.removeCreated(createdParents)
        }
    }
}
