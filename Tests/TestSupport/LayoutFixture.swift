import ByteIO
import Codecs
import Foundation
import Hashing
import OCIImage
import TarStream

/// An entry of a fixture layer.
public enum FixtureEntry {
    case directory(String)
    case file(String, [UInt8], mode: UInt32 = 0o644, mtime: Int64 = 1_700_000_000)
    case hardlink(String, to: String)
    case symlink(String, to: String)

    public static func text(_ path: String, _ text: String) -> FixtureEntry { .file(path, Array(text.utf8)) }
}

/// A fixture layer: entries and how the blob is compressed.
extension FixtureEntry {
    /// A Python interpreter's executable (a link, as Debian ships it): the pipeline leaves images without one alone.
    public static var interpreter: FixtureEntry { .symlink("usr/bin/python3", to: "python3.11") }
}

public struct FixtureLayer {
    /// A layer holding only an interpreter's executable, for fixtures whose other layers are hand-made tars.
    public static var interpreter: FixtureLayer { FixtureLayer(entries: [.interpreter]) }

    public var entries: [FixtureEntry]
    public var compression: Compression = .gzip
    public var mediaType: String?
    /// The layer's tar as raw bytes, used instead of `entries` (for hand-made headers).
    public var tar: [UInt8]?

    public init(
        entries: [FixtureEntry], compression: Compression = .gzip, mediaType: String? = nil, tar: [UInt8]? = nil
    ) {
        self.entries = entries
        self.compression = compression
        self.mediaType = mediaType
        self.tar = tar
    }
}

/// Builds real OCI image layouts in a temp directory from lists of entries.
public struct LayoutFixture {
    public let root: String

    /// A fixture rooted at an existing directory (which `cleanUp()` removes).
    public init(root: String) { self.root = root }

    /// A fresh directory under the system temp dir, removed by `cleanUp()`.
    public static func make() throws -> LayoutFixture {
        let root = NSTemporaryDirectory() + "ocislim-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return LayoutFixture(root: root)
    }

    public func cleanUp() { try? FileManager.default.removeItem(atPath: root) }

    public func path(_ name: String) -> String { "\(root)/\(name)" }

    /// Writes a layout with one image (or several, under a nested index) and returns its path.
    @discardableResult
    public func writeLayout(
        _ name: String, images: [[FixtureLayer]], nested: Bool = false, docker: Bool = false,
        env: [String] = ["PATH=/usr/bin"], extraIndexEntries: [String] = []
    ) throws -> String {
        let layoutPath = path(name)
        try FileManager.default.createDirectory(atPath: layoutPath + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layoutPath + "/oci-layout"))
        var manifestDescriptors: [String] = []
        for (imageIndex, layers) in images.enumerated() {
            var layerDescriptors: [String] = []
            var diffIDs: [String] = []
            for layer in layers {
                let tar = try layer.tar ?? Self.tar(layer.entries)
                diffIDs.append("\"sha256:\(try SHA256Hasher.hash(tar).hexString)\"")
                let blob = try Self.compress(tar, layer.compression)
                let digest = try writeBlob(blob, in: layoutPath)
                let mediaType = layer.mediaType ?? Self.layerType(layer.compression, docker: docker)
                layerDescriptors.append(#"{"mediaType":"\#(mediaType)","digest":"\#(digest)","size":\#(blob.count)}"#)
            }
            let envJSON = env.map { "\"\($0)\"" }.joined(separator: ",")
            let config = """
                {"architecture":"amd64","os":"linux","config":{"Env":[\(envJSON)],"Cmd":["/bin/true"],"X-Unknown":7},\
                "rootfs":{"type":"layers","diff_ids":[\(diffIDs.joined(separator: ","))]},\
                "history":[{"created_by":"fixture","empty_layer":true}],"x-vendor":{"keep":"me"}}
                """
            let configDigest = try writeBlob(Array(config.utf8), in: layoutPath)
            let manifestType = docker ? MediaType.dockerManifest : MediaType.ociManifest
            let configType = docker ? MediaType.dockerConfig : MediaType.ociConfig
            let manifest = """
                {"schemaVersion":2,"mediaType":"\(manifestType)","config":{"mediaType":"\(configType)",\
                "digest":"\(configDigest)","size":\(config.utf8.count)},"layers":[\(layerDescriptors.joined(separator: ","))],\
                "annotations":{"org.example.keep":"yes"}}
                """
            let manifestDigest = try writeBlob(Array(manifest.utf8), in: layoutPath)
            manifestDescriptors.append(
                #"{"mediaType":"\#(manifestType)","digest":"\#(manifestDigest)","size":\#(manifest.utf8.count),"#
                    + #""platform":{"architecture":"arch\#(imageIndex)","os":"linux"},"#
                    + #""annotations":{"org.opencontainers.image.ref.name":"tag\#(imageIndex)"}}"#
            )
        }
        var top = manifestDescriptors + extraIndexEntries
        if nested {
            let inner =
                #"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)","manifests":[\#(top.joined(separator: ","))]}"#
            let innerDigest = try writeBlob(Array(inner.utf8), in: layoutPath)
            top = [
                #"{"mediaType":"\#(MediaType.ociIndex)","digest":"\#(innerDigest)","size":\#(inner.utf8.count),"#
                    + #""annotations":{"org.opencontainers.image.ref.name":"multi"}}"#
            ]
        }
        let index = #"{"schemaVersion":2,"manifests":[\#(top.joined(separator: ","))]}"#
        try Data(index.utf8).write(to: URL(fileURLWithPath: layoutPath + "/index.json"))
        return layoutPath
    }

    /// Stores a blob in a layout and returns its digest string.
    public func writeBlob(_ bytes: [UInt8], in layoutPath: String) throws -> String {
        let hex = try SHA256Hasher.hash(bytes).hexString
        try Data(bytes).write(to: URL(fileURLWithPath: "\(layoutPath)/blobs/sha256/\(hex)"))
        return "sha256:\(hex)"
    }

    /// The OCI (or Docker schema 2) layer media type of a compression; Docker has no zstd type, so gets OCI's.
    public static func layerType(_ compression: Compression, docker: Bool = false) -> String {
        switch compression {
        case .uncompressed: docker ? MediaType.dockerLayer : MediaType.ociLayer
        case .gzip: docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip
        case .zstd: MediaType.ociLayerZstd
        }
    }

    /// The stream codec of a layer compression.
    public static func codec(_ compression: Compression) -> Compression {
        switch compression {
        case .uncompressed: Compression.uncompressed
        case .gzip: Compression.gzip
        case .zstd: Compression.zstd
        }
    }

    public static func tar(_ entries: [FixtureEntry]) throws -> [UInt8] {
        let sink = MemorySink()
        let writer = try TarWriter(sink: sink)
        for entry in entries {
            switch entry {
            case .directory(let path):
                try writer.write(try .directory(path: TarPath(path), mtime: 1_700_000_000))
            case .file(let path, let data, let mode, let mtime):
                try writer.write(
                    try .regularFile(path: TarPath(path), size: Int64(data.count), permissions: mode, mtime: mtime),
                    data: data
                )
            case .hardlink(let path, let target):
                let metadata = try TarReader(source: MemorySource(try tar([.text(target, "")]))).nextEntry()
                guard let metadata else { throw FixtureFailure("cannot make link metadata") }
                try writer.write(try .hardlink(path: TarPath(path), to: TarPath(target), metadata: metadata))
            case .symlink(let path, let target):
                try writer.write(try .symlink(path: TarPath(path), to: TarPath(target), mtime: 1_700_000_000))
            }
        }
        try writer.finish()
        return sink.bytes
    }

    public static func compress(_ bytes: [UInt8], _ compression: Compression) throws -> [UInt8] {
        let sink = MemorySink()
        let compressor = try makeCompressingSink(codec(compression), downstream: sink)
        try compressor.write(bytes)
        try compressor.finish()
        return sink.bytes
    }

    /// Every file under a directory, relative path → bytes.
    public static func files(under directory: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return result }
        for case let relative as String in walker {
            var isDirectory: ObjCBool = false
            let full = "\(directory)/\(relative)"
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[relative] = Array(try Data(contentsOf: URL(fileURLWithPath: full)))
            }
        }
        return result
    }

    /// The entries (path → kind/size/link) of an output layer, decompressed with the codec its media type names.
    public static func listLayer(_ layoutPath: String, digest: Digest, compression: Compression) throws -> [String] {
        let source = try makeDecompressingSource(
            codec(compression), upstream: try FileSource(path: "\(layoutPath)/blobs/sha256/\(digest.encoded)")
        )
        let reader = try TarReader(source: source)
        var lines: [String] = []
        while let entry = try reader.nextEntry() {
            let link = entry.linkTarget.map { " -> \($0)" } ?? ""
            lines.append("\(entry.path) \(entry.kind) \(entry.size)\(link)")
        }
        return lines
    }

    /// The tar inside an output layer blob, decompressed with the codec its media type names.
    public static func tarBytes(_ layoutPath: String, digest: Digest, compression: Compression) throws -> [UInt8] {
        let source = try makeDecompressingSource(
            codec(compression), upstream: try FileSource(path: "\(layoutPath)/blobs/sha256/\(digest.encoded)")
        )
        let sink = MemorySink()
        _ = try source.copy(to: sink)
        return sink.bytes
    }

    /// A JSON document of a layout: `index.json`, or a blob by digest.
    public static func document(_ layoutPath: String, _ digest: Digest? = nil) throws -> JSONValue {
        let path = digest.map { "\(layoutPath)/blobs/sha256/\($0.encoded)" } ?? "\(layoutPath)/index.json"
        return try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))), what: path)
    }

    /// `scripts/check-layout.py`: an independent check (Python's hashlib, gzip and tarfile, the zstd binary) that
    /// every blob hashes to its name, every descriptor's size and every config's diff_ids match, and each layer's
    /// bytes are the compression its media type names. Throws its errors when the layout is invalid.
    public static func checkLayout(_ layoutPath: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/check-layout.py").path
        let run = try Tool.run(["python3", script, "-q", layoutPath])
        guard run.status == 0 else { throw FixtureFailure(run.text + run.errors) }
    }

    /// `count` bytes that do not compress (xorshift64), quickly enough for layers of tens of MiB.
    public static func noise(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        var bytes = [UInt8](repeating: 0, count: (count + 7) / 8 * 8)
        bytes.withUnsafeMutableBytes { raw in
            for index in 0..<raw.count / 8 {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                raw.storeBytes(of: state, toByteOffset: index * 8, as: UInt64.self)
            }
        }
        return Array(bytes.prefix(count))
    }

    /// `count` bytes of text that compresses about 4:1: numbered lines with a little noise in each.
    public static func text(count: Int, seed: UInt64) -> [UInt8] {
        let noise = noise(count: count / 8 + 1, seed: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 64)
        var line = 0
        while bytes.count < count {
            bytes += Array("line \(line) of the fixture, value \(noise[line % noise.count])\n".utf8)
            line += 1
        }
        return Array(bytes.prefix(count))
    }

    /// Bytecode compiled by the host's CPython, in the given invalidation mode, for a source with this mtime,
    /// as if the source lived at `path` (its co_filename).
    public static func compile(
        _ source: String, invalidation: String = "TIMESTAMP", optimize: Int = 0, mtime: Int64 = 1_700_000_000,
        path: String = "/m.py"
    ) throws -> [UInt8] {
        let program = """
            import importlib.util, py_compile, sys, tempfile, os
            d = tempfile.mkdtemp(); src = os.path.join(d, "m.py")
            open(src, "w").write(sys.argv[1]); os.utime(src, (int(sys.argv[4]), int(sys.argv[4])))
            out = py_compile.compile(src, cfile=os.path.join(d, "m.pyc"), dfile=sys.argv[5], doraise=True,
                optimize=int(sys.argv[3]), invalidation_mode=py_compile.PycInvalidationMode[sys.argv[2]])
            sys.stdout.buffer.write(open(out, "rb").read())
            """
        return try run(["python3", "-c", program, source, invalidation, "\(optimize)", "\(mtime)", path])
    }

    /// The host CPython's cache tag, e.g. `cpython-311`.
    public static let hostCacheTag = Result {
        String(
            decoding: try run(["python3", "-c", "import sys; print(sys.implementation.cache_tag, end='')"]),
            as: UTF8.self)
    }

    /// Runs a command with `input` on its standard input; returns its standard output, or throws if it fails.
    public static func run(_ arguments: [String], input: [UInt8] = []) throws -> [UInt8] {
        try Tool.output(arguments, input: input)
    }
}
