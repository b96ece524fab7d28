import Codecs
import Foundation
import OCIImage

#if canImport(Glibc)
    import Glibc
#endif

/// Where `verify` writes the two trees. Writing and removing some 100,000 files costs seconds on a memory filesystem
/// and a minute on a disk (an ext4 mounted with `discard` took 13 s to write and 15 s to remove one tree of the test
/// image; `/dev/shm` 4 s and 0.3 s), so the trees go to `/dev/shm` when it can hold them, and to `/tmp` otherwise.
/// A `TMPDIR` that is set is the caller's choice and is used alone.
///
/// The room the trees need is estimated from the layers' sizes; a memory filesystem that fills up anyway (a layer
/// that compresses better than the estimate assumes) is left for the next directory (`ImageVerifier`).
struct ScratchSpace: Equatable, Sendable {
    /// The parent directories to try, best first.
    let directories: [String]

    /// What is known of the memory filesystem, if any.
    struct MemoryFilesystem: Equatable, Sendable {
        /// Where it is mounted.
        var path: String
        /// Mounted as `tmpfs` or `ramfs`.
        var isMemory: Bool
        /// Not mounted `noexec`: the sandboxes bind the trees as they are, and an interpreter there must run.
        var allowsExecution: Bool
        /// This process may make a directory in it.
        var isWritable: Bool
        /// Bytes an unprivileged writer may still use.
        var freeBytes: UInt64
    }

    /// Chooses from what is known: `TMPDIR` alone when set; the memory filesystem first when it is one, runs
    /// programs, is writable and has twice the `needed` bytes free, and the machine twice that in available memory
    /// (a tmpfs lives in memory, or in swap when there is any); `/tmp` last.
    static func choose(
        temporaryDirectory: String?, memory: MemoryFilesystem?, availableMemory: UInt64?, needed: UInt64
    ) -> ScratchSpace {
        if let temporaryDirectory, !temporaryDirectory.isEmpty {
            return ScratchSpace(directories: [temporaryDirectory])
        }
        let margin = needed.multipliedReportingOverflow(by: 2)
        guard let memory, memory.isMemory, memory.allowsExecution, memory.isWritable, !margin.overflow,
            memory.freeBytes >= margin.partialValue, let availableMemory, availableMemory >= margin.partialValue
        else { return ScratchSpace(directories: [Self.diskDirectory]) }
        return ScratchSpace(directories: [memory.path, Self.diskDirectory])
    }

    /// The choice on this machine for trees of about `needed` bytes.
    static func current(needed: UInt64) -> ScratchSpace {
        choose(
            temporaryDirectory: ProcessInfo.processInfo.environment["TMPDIR"],
            memory: MemoryFilesystem.inspect(Self.memoryDirectory),
            availableMemory: [Self.availableMemory(), CgroupMemory.room()].compactMap { $0 }.min(), needed: needed)
    }

    /// The bytes the merged trees of images with these layers take at most, roughly: the layers' sizes, compressed
    /// ones four times over (the test image's Python and Debian files unpack to 2.8 times their gzip size). Shared
    /// and whited-out files make the real figure smaller.
    static func estimate(_ layers: [Descriptor]) -> UInt64 {
        layers.reduce(0) { total, layer in
            let size = UInt64(clamping: layer.size)
            let factor: UInt64 = MediaType.layerCompression(layer.mediaType) == .uncompressed ? 1 : 4
            let (bytes, overflow) = size.multipliedReportingOverflow(by: factor)
            return overflow ? UInt64.max : total.addingReportingOverflow(bytes).overflow ? .max : total + bytes
        }
    }

    static let memoryDirectory = "/dev/shm"
    static let diskDirectory = "/tmp"

    /// `MemAvailable` from `/proc/meminfo`, in bytes; nil when it cannot be read.
    static func availableMemory(meminfo: String? = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))
        -> UInt64?
    {
        guard let meminfo else { return nil }
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, fields[2] == "kB", let kilobytes = UInt64(fields[1]) else { return nil }
            return kilobytes.multipliedReportingOverflow(by: 1024).overflow ? nil : kilobytes * 1024
        }
        return nil
    }
}

extension ScratchSpace.MemoryFilesystem {
    /// The facts about the directory `path`, or nil when it is not a mount point in `/proc/self/mounts` or cannot be
    /// examined.
    static func inspect(
        _ path: String, mounts: String? = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
    ) -> Self? {
        guard let type = mountType(of: path, in: mounts ?? "") else { return nil }
        var status = statvfs()
        guard statvfs(path, &status) == 0 else { return nil }
        let (free, overflow) = UInt64(status.f_bavail).multipliedReportingOverflow(by: UInt64(status.f_frsize))
        return Self(
            path: path, isMemory: type == "tmpfs" || type == "ramfs",
            allowsExecution: status.f_flag & noExecution == 0,
            isWritable: status.f_flag & UInt(ST_RDONLY) == 0 && access(path, W_OK | X_OK) == 0,
            freeBytes: overflow ? .max : free)
    }

    /// `ST_NOEXEC` (sys/statvfs.h), which Swift's Glibc module leaves out (it is declared for `_GNU_SOURCE` only).
    static let noExecution: UInt = 8

    /// The type of the last filesystem mounted at `path` in a mount table (`device mountpoint type options …`).
    static func mountType(of path: String, in mounts: String) -> String? {
        var type: String?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 3 && fields[1] == path { type = String(fields[2]) }
        }
        return type
    }
}

/// What the process's memory cgroup still allows, for a container or a Kubernetes pod: `/proc/meminfo` shows the
/// host's memory, but a tmpfs's pages are charged to the cgroup that writes them, so trees that fit the host could
/// get a pod killed for exceeding its limit.
enum CgroupMemory {
    /// The least room (limit − usage) of the process's memory cgroup and its ancestors, cgroup v2 (`0::/path`:
    /// `memory.max`, `memory.current`) or v1 (`N:memory:/path`: `memory.limit_in_bytes`, `memory.usage_in_bytes`);
    /// nil when none has a limit or the files cannot be read.
    static func room(
        cgroupFile: String? = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
        read: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
    ) -> UInt64? {
        var room: UInt64?
        for line in (cgroupFile ?? "").split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ",")
            let files: (root: String, limit: String, usage: String)
            if fields[0] == "0" && fields[1].isEmpty {
                files = ("/sys/fs/cgroup", "memory.max", "memory.current")
            } else if controllers.contains("memory") {
                files = ("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes")
            } else {
                continue
            }
            var path = fields[2]
            while true {
                let directory = files.root + (path == "/" ? "" : path)
                if let limit = number(read(directory + "/" + files.limit)),
                    let used = number(read(directory + "/" + files.usage))
                {
                    let left = limit > used ? limit - used : 0
                    room = min(room ?? left, left)
                }
                guard path != "/", let slash = path.lastIndex(of: "/") else { break }
                path = slash == path.startIndex ? "/" : String(path[..<slash])
            }
        }
        return room
    }

    /// A limit or usage as the cgroup files write it; nil for no limit (`max` in v2, a page-rounded 2^63 in v1) or
    /// anything unreadable.
    private static func number(_ text: String?) -> UInt64? {
        guard let value = text.flatMap({ UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
            value < 1 << 62
        else { return nil }
        return value
    }
}
