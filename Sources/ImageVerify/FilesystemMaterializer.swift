import ByteIO
import Codecs
import Foundation
import OCIImage
import OCISlim
import TarStream

#if canImport(Glibc)
    import Glibc
#endif

/// An image's merged filesystem written out: what the sandbox mounts as `/`.
public struct MaterializedTree: Sendable {
    /// The root directory.
    public let root: String
    /// Entries libarchive refused (a write through a symbolic link, a hardlink to nothing): `layer …: entry …: why`.
    public let refusals: [String]
    /// Device nodes and sockets left out (the sandbox has its own `/dev`).
    public let skippedDevices: Int
}

/// Writes an image's layers, in order, into an empty directory the way a container runtime stacks them: a later
/// entry replaces an earlier one, `.wh.NAME` removes NAME from the layers below, and `.wh..wh..opq` hides everything
/// the layers below put in its directory.
///
/// Every entry goes through libarchive's secure extraction (`DiskWriter`); whiteouts are applied through `RootedTree`,
/// which never follows a link. A name with a `..` component fails the whole run.
struct FilesystemMaterializer {
    let source: any ImageSource
    let layers: [Descriptor]

    /// Writes the tree into `root` (an empty directory), on a thread whose current directory is `root`.
    func materialize(into root: String) async throws -> MaterializedTree {
        let source = source
        let layers = layers
        return try await IsolatedDirectory.run(in: root) {
            try Self.write(layers: layers, from: source, root: root)
        }
    }

    /// The work itself; the current directory is `root`.
    static func write(layers: [Descriptor], from source: any ImageSource, root: String) throws -> MaterializedTree {
        try MaterializerStop.shared.enter()
        defer { MaterializerStop.shared.leave() }
        let tree = try RootedTree(root: root)
        let writer = try DiskWriter()
        var refusals: [String] = []
        var devices = 0
        for layer in layers {
            let blob = PeekingSource(upstream: try source.openBlob(layer))
            let codec = try LayerCompressionCheck.check(layer, prefix: try blob.peek(4))
            let reader = try TarReader(source: try makeDecompressingSource(codec, upstream: blob))
            var layerState = LayerState()
            while let entry = try reader.nextEntry() {
                try MaterializerStop.shared.check()
                guard let path = EntryPath(tarName: entry.path.bytes) else {
                    throw VerifyError.unsafeEntry(layer: layer.digest, entry: entry.path.description)
                }
                guard !path.components.isEmpty else { continue }
                if try layerState.applyWhiteout(path, tree: tree) { continue }
                if [.characterDevice, .blockDevice, .socket].contains(entry.kind) {
                    devices += 1
                    continue
                }
                // link(2) follows links on the way to its target: a target through one could name a host file.
                if entry.kind == .hardlink, let refusal = try hardlinkRefusal(entry, tree: tree) {
                    refusals.append("layer \(layer.digest): entry \(path): \(refusal)")
                    continue
                }
                // A file replaces a whole directory of a lower layer (libarchive would only remove an empty one).
                if entry.kind != .directory, try tree.fileType(path) == S_IFDIR { try tree.remove(path) }
                switch try writer.write(entry, at: path, reader: reader) {
                case .written: layerState.written.insert(path)
                case .refused(let reason): refusals.append("layer \(layer.digest): entry \(path): \(reason)")
                }
            }
            // Read to the very end so the blob's digest is checked.
            try reader.drainSource()
            try layerState.applyOpaqueDirectories(tree: tree)
        }
        try writer.finish()
        return MaterializedTree(root: root, refusals: refusals, skippedDevices: devices)
    }

    /// Why a hardlink cannot be made: its target leaves the root, crosses a symbolic link or is not a file.
    static func hardlinkRefusal(_ entry: TarEntry, tree: RootedTree) throws -> String? {
        guard let target = entry.linkTarget.flatMap({ EntryPath(tarName: $0.bytes) }) else {
            return "its link target leaves the image root"
        }
        guard let directory = try tree.openDirectory(target.parent) else {
            return "its link target \(target) is not inside the image (a symbolic link or nothing on the way)"
        }
        close(directory)
        guard let type = try tree.fileType(target), type != S_IFDIR else {
            return "its link target \(target) is not a file"
        }
        return nil
    }

    /// What one layer wrote, and the opaque directories it marked: applied once the layer is written, since the
    /// marker hides only what lower layers put there.
    struct LayerState {
        var written: Set<EntryPath> = []
        var opaque: [EntryPath] = []

        /// Applies `path` if it is a whiteout and says whether it was one. A whiteout removes what lower layers put
        /// at its path, never what its own layer wrote.
        mutating func applyWhiteout(_ path: EntryPath, tree: RootedTree) throws -> Bool {
            let name = path.lastName
            guard name.starts(with: Self.prefix) else { return false }
            if name == Self.opaqueMarker {
                opaque.append(path.parent)
                return true
            }
            let hidden = path.parent.appending(name.dropFirst(Self.prefix.count).map { CChar(bitPattern: $0) } + [0])
            if !written.contains(hidden) { try tree.remove(hidden) }
            return true
        }

        func applyOpaqueDirectories(tree: RootedTree) throws {
            guard !opaque.isEmpty else { return }
            let ancestors = Set(written.flatMap(\.ancestors))
            for directory in opaque {
                try tree.prune(directory, keep: written, keepAncestors: ancestors)
            }
        }

        static let prefix = Array(".wh.".utf8)
        static let opaqueMarker = Array(".wh..wh..opq".utf8)
    }
}

/// Stops materialising when the process is interrupted, so that the removal of the private directory does not race
/// with threads still writing into it: the signal handler calls `stopAndWait`, then removes the directory.
public final class MaterializerStop: @unchecked Sendable {
    /// The process's switch.
    public static let shared = MaterializerStop()

    // Guarded by `lock`: materialising threads enter and leave, the signal handler stops them from its own queue.
    private let lock = NSLock()
    private var stopped = false
    private var active = 0

    /// Registers a materialising thread; throws once stopped.
    func enter() throws {
        try lock.withLock {
            guard !stopped else { throw VerifyError.interrupted }
            active += 1
        }
    }

    func leave() { lock.withLock { active -= 1 } }

    /// Whether the process is being interrupted: its signal handler, not the run, then removes the directory.
    public var isStopped: Bool { lock.withLock { stopped } }

    /// Throws once stopped; called between entries.
    func check() throws {
        if lock.withLock({ stopped }) { throw VerifyError.interrupted }
    }

    /// Stops every materialising thread at its next entry and waits until all have left, up to `timeout` seconds.
    public func stopAndWait(timeout: Double) {
        lock.withLock { stopped = true }
        let deadline = Date().addingTimeInterval(timeout)
        while lock.withLock({ active }) > 0 && Date() < deadline { usleep(10_000) }
    }
}
