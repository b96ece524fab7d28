import Foundation
import OCIImage
import TestSupport
import Testing

@testable import ImageVerify

#if canImport(Glibc)
    import Glibc
#endif

/// Where `verify` writes its trees: a memory filesystem when it has room, `/tmp` otherwise, `TMPDIR` when set; and a
/// filesystem that fills up is left for the next directory, never a short file in a tree that looks whole.
@Suite struct ScratchSpaceTests {
    private static let roomy = ScratchSpace.MemoryFilesystem(
        path: "/dev/shm", isMemory: true, allowsExecution: true, isWritable: true, freeBytes: 10 << 30)
    private static let gigabyte: UInt64 = 1 << 30

    private static func choose(
        _ memory: ScratchSpace.MemoryFilesystem?, available: UInt64? = 16 << 30, needed: UInt64 = 1 << 30,
        temporaryDirectory: String? = nil
    ) -> [String] {
        ScratchSpace.choose(
            temporaryDirectory: temporaryDirectory, memory: memory, availableMemory: available, needed: needed
        ).directories
    }

    // MARK: Choosing

    @Test func memoryFilesystemWithRoomComesFirstThenTmp() {
        #expect(Self.choose(Self.roomy) == ["/dev/shm", "/tmp"])
    }

    @Test func setTemporaryDirectoryIsUsedAlone() {
        #expect(Self.choose(Self.roomy, temporaryDirectory: "/var/scratch") == ["/var/scratch"])
        #expect(Self.choose(Self.roomy, temporaryDirectory: "") == ["/dev/shm", "/tmp"])
    }

    @Test func memoryFilesystemNeedsTwiceTheEstimateFree() {
        var small = Self.roomy
        small.freeBytes = 2 * Self.gigabyte - 1
        #expect(Self.choose(small) == ["/tmp"])
        small.freeBytes = 2 * Self.gigabyte
        #expect(Self.choose(small) == ["/dev/shm", "/tmp"])
    }

    @Test func machineNeedsTwiceTheEstimateInAvailableMemory() {
        #expect(Self.choose(Self.roomy, available: 2 * Self.gigabyte - 1) == ["/tmp"])
        #expect(Self.choose(Self.roomy, available: nil) == ["/tmp"])
    }

    @Test func noexecReadOnlyOrDiskFilesystemIsPassedOver() {
        for change in [\ScratchSpace.MemoryFilesystem.allowsExecution, \.isWritable, \.isMemory] {
            var memory = Self.roomy
            memory[keyPath: change] = false
            #expect(Self.choose(memory) == ["/tmp"])
        }
        #expect(Self.choose(nil) == ["/tmp"])
    }

    @Test func estimateCountsCompressedLayersFourTimes() {
        let gzip = Descriptor(mediaType: MediaType.ociLayerGzip, digest: Self.digest, size: 100)
        let zstd = Descriptor(mediaType: MediaType.ociLayerZstd, digest: Self.digest, size: 10)
        let plain = Descriptor(mediaType: MediaType.ociLayer, digest: Self.digest, size: 7)
        #expect(ScratchSpace.estimate([gzip, zstd, plain]) == 447)
        #expect(ScratchSpace.estimate([]) == 0)
        let huge = Descriptor(mediaType: MediaType.ociLayerGzip, digest: Self.digest, size: .max)
        #expect(ScratchSpace.estimate([huge, plain]) == .max)
    }

    @Test func aCgroupLimitBoundsTheRoomForTrees() throws {
        let files = [
            "/sys/fs/cgroup/kubepods/pod1/memory.max": "2147483648\n",
            "/sys/fs/cgroup/kubepods/pod1/memory.current": "536870912\n",
            "/sys/fs/cgroup/kubepods/pod1/app/memory.max": "max\n",
            "/sys/fs/cgroup/kubepods/pod1/app/memory.current": "536870912\n",
            "/sys/fs/cgroup/kubepods/memory.max": "max\n",
            "/sys/fs/cgroup/kubepods/memory.current": "9000000000\n",
        ]
        let room = try #require(CgroupMemory.room(cgroupFile: "0::/kubepods/pod1/app\n", read: { files[$0] }))
        #expect(room == 1_610_612_736, "the pod's 2 GiB limit less its 512 MiB in use")
        #expect(CgroupMemory.room(cgroupFile: "0::/\n", read: { _ in "max\n" }).isAbsent, "no limit")
        #expect(CgroupMemory.room(cgroupFile: nil, read: { files[$0] }).isAbsent)
    }

    @Test func aCgroupV1LimitCountsToo() throws {
        let files = [
            "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "1073741824\n",
            "/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes": "73741824\n",
            "/sys/fs/cgroup/memory/docker/memory.limit_in_bytes": "9223372036854771712\n",
            "/sys/fs/cgroup/memory/docker/memory.usage_in_bytes": "5000000000\n",
        ]
        let cgroups = "5:devices:/docker/abc\n4:memory:/docker/abc\n0::/\n"
        let room = try #require(CgroupMemory.room(cgroupFile: cgroups, read: { files[$0] }))
        #expect(room == 1_000_000_000)
        #expect(CgroupMemory.room(cgroupFile: "4:memory:/\n", read: { _ in "9223372036854771712\n" }).isAbsent)
    }

    @Test func availableMemoryIsMemAvailable() throws {
        let meminfo = "MemTotal:       24684224 kB\nMemFree:        20502008 kB\nMemAvailable:   24053060 kB\n"
        let available = try #require(ScratchSpace.availableMemory(meminfo: meminfo))
        #expect(available == 24_053_060 * 1024)
        #expect(ScratchSpace.availableMemory(meminfo: "MemTotal: 1 kB\n").isAbsent)
        #expect(ScratchSpace.availableMemory(meminfo: nil).isAbsent)
    }

    @Test func mountTypeIsTheLastMountAtThePath() {
        let mounts = "tmpfs /dev/shm tmpfs rw 0 0\n/dev/vda / ext4 rw 0 0\nshm /dev/shm ramfs rw 0 0\n"
        #expect(ScratchSpace.MemoryFilesystem.mountType(of: "/dev/shm", in: mounts) == "ramfs")
        #expect(ScratchSpace.MemoryFilesystem.mountType(of: "/tmp", in: mounts) == nil)
        #expect(ScratchSpace.MemoryFilesystem.inspect("/dev/shm", mounts: "") == nil)
    }

    @Test(.enabled(if: ScratchSpace.MemoryFilesystem.mountType(of: "/dev/shm", in: Self.mounts) == "tmpfs"))
    func thisMachinesShmIsAMemoryFilesystem() throws {
        let memory = try #require(ScratchSpace.MemoryFilesystem.inspect("/dev/shm"))
        #expect(memory.isMemory)
        #expect(memory.freeBytes > 0)
    }

    // MARK: A full filesystem

    @Test(.enabled(if: Self.canMountTmpfs, "needs root and mount(8)"))
    func fullFilesystemFailsTheTreeInsteadOfLeavingAShortFile() async throws {
        try await Self.withFullFilesystem { _, small, image in
            await #expect {
                _ = try await FilesystemMaterializer(source: image.source, layers: image.layers)
                    .materialize(into: small)
            } throws: { error in
                (error as? VerifyError)?.isOutOfSpace == true
            }
        }
    }

    @Test(.enabled(if: Self.canMountTmpfs, "needs root and mount(8)"))
    func fullFilesystemIsLeftForTheNextDirectory() async throws {
        try await Self.withFullFilesystem { fixture, small, image in
            let disk = fixture.path("disk")
            try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: false)
            let verifier = ImageVerifier(options: VerifyOptions(original: "a", rewritten: "b", jobs: 1))
            let (directory, trees) = try await verifier.materialize(
                image, image, space: ScratchSpace(directories: [small, disk]))
            defer { ImageVerifier.remove(directory) }
            #expect(directory.hasPrefix(disk + "/ocislim-verify."))
            #expect(try FileManager.default.contentsOfDirectory(atPath: small).isEmpty)
            for tree in [trees.0, trees.1] {
                let size = try FileManager.default.attributesOfItem(atPath: tree.root + "/big")[.size] as? Int
                #expect(size == Self.bigSize)
            }
        }
    }

    // MARK: Helpers

    private static let digest = Digest(sha256Hex: String(repeating: "a", count: 64))
    private static let bigSize = 256 << 10
    private static var bigLayer: FixtureLayer {
        FixtureLayer(entries: [.file("big", LayoutFixture.noise(count: bigSize, seed: 7))])
    }

    private static var mounts: String { (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? "" }

    /// Runs `body` with a fixture, a 64 KiB tmpfs in it and an image of one 256 KiB file, which cannot fit there.
    private static func withFullFilesystem(
        _ body: (LayoutFixture, String, ImageUnderTest) async throws -> Void
    ) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let small = try mountSmallTmpfs(at: fixture.path("small"))
        defer { unmount(small) }
        let layout = try fixture.writeLayout("layout", images: [[bigLayer]])
        try await body(fixture, small, try ImageUnderTest.open(layout, platforms: []))
    }

    /// Whether this process may mount a tmpfs (root, with `CAP_SYS_ADMIN`), tried once.
    private static let canMountTmpfs: Bool = {
        guard geteuid() == 0, Tool.exists("mount"), let fixture = try? LayoutFixture.make() else { return false }
        defer { fixture.cleanUp() }
        guard let path = try? mountSmallTmpfs(at: fixture.path("probe")) else { return false }
        unmount(path)
        return true
    }()

    /// A 64 KiB tmpfs at `path` (made here).
    private static func mountSmallTmpfs(at path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        _ = try Tool.output(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", path])
        return path
    }

    private static func unmount(_ path: String) { _ = try? Tool.run(["umount", path]) }
}

/// `#expect(optionalUInt64 == value)` reads nine bytes from an eight-byte slot under AddressSanitizer when
/// swift-testing converts the operands to `AnyHashable` (Swift 6.3; `make sanitize` aborted on it). These tests
/// unwrap with `#require` and check absence through a `Bool`, which takes neither path.
extension Optional where Wrapped == UInt64 {
    fileprivate var isAbsent: Bool { self == nil }
}
