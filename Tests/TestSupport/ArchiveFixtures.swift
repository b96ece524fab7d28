import ByteIO
import Codecs
import Foundation
import Hashing
import OCIImage

/// A small image to put into archive fixtures: its layers and the names it is saved under.
public struct ArchiveFixtureImage {
    public var layers: [FixtureLayer]
    public var repoTags: [String]
    public var architecture: String

    public init(layers: [FixtureLayer], repoTags: [String], architecture: String = "amd64") {
        self.layers = layers
        self.repoTags = repoTags
        self.architecture = architecture
    }

    /// A one-layer image with one small Python module.
    public static func small(repoTags: [String] = ["app:1"], compression: Compression = .uncompressed)
        -> ArchiveFixtureImage
    {
        ArchiveFixtureImage(
            layers: [
                FixtureLayer(
                    entries: [.directory("app"), .text("app/m.py", "X = 1\n")], compression: compression)
            ], repoTags: repoTags)
    }
}

/// One image's blobs, as the archive writers see them.
public struct BuiltArchiveImage {
    public struct Layer {
        /// The layer as stored (compressed as its `FixtureLayer` says).
        public let blob: [UInt8]
        public let digest: Digest
        public let diffID: Digest
        public let compression: Compression
    }

    public let layers: [Layer]
    public let config: [UInt8]
    public let configDigest: Digest
    /// An OCI manifest of the stored layers.
    public let manifest: [UInt8]
    public let manifestDigest: Digest
    public let repoTags: [String]
    public let architecture: String

    public init(_ image: ArchiveFixtureImage) throws {
        var layers: [Layer] = []
        for layer in image.layers {
            let tar = try layer.tar ?? LayoutFixture.tar(layer.entries)
            let blob = try LayoutFixture.compress(tar, layer.compression)
            layers.append(
                Layer(
                    blob: blob, digest: try ArchiveFixtures.digest(blob), diffID: try ArchiveFixtures.digest(tar),
                    compression: layer.compression))
        }
        self.layers = layers
        let diffIDs = layers.map { "\"\($0.diffID)\"" }.joined(separator: ",")
        config = Array(
            """
            {"architecture":"\(image.architecture)","os":"linux","config":{"Env":["PATH=/usr/bin"],\
            "Cmd":["/bin/true"]},"rootfs":{"type":"layers","diff_ids":[\(diffIDs)]}}
            """.utf8)
        configDigest = try ArchiveFixtures.digest(config)
        let layerDescriptors = layers.map {
            #"{"mediaType":"\#(LayoutFixture.layerType($0.compression))","digest":"\#($0.digest)","size":\#($0.blob.count)}"#
        }
        manifest = Array(
            """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":\
            "\(MediaType.ociConfig)","digest":"\(configDigest)","size":\(config.count)},\
            "layers":[\(layerDescriptors.joined(separator: ","))]}
            """.utf8)
        manifestDigest = try ArchiveFixtures.digest(manifest)
        repoTags = image.repoTags
        architecture = image.architecture
    }

    /// The manifest's descriptor as an index lists it.
    func listing(annotations: [String: String] = [:], platform: Bool = false) -> String {
        var text = #"{"mediaType":"\#(MediaType.ociManifest)","digest":"\#(manifestDigest)","size":\#(manifest.count)"#
        if platform { text += #","platform":{"architecture":"\#(architecture)","os":"linux"}"# }
        if !annotations.isEmpty {
            let pairs = annotations.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
            text += #","annotations":{\#(pairs.joined(separator: ","))}"#
        }
        return text + "}"
    }
}

/// Builds archives of every shape `docker save`-like tools write, in code, from small images: the members as each
/// writer names them (moby image/tarexport/save.go, containerd core/images/archive/exporter.go, containers/image
/// docker/internal/tarfile/writer.go, go-containerregistry pkg/v1/tarball/write.go).
public enum ArchiveFixtures {
    /// The shapes, named as `DockerArchiveFlavor` names them, plus an OCI archive.
    public enum Shape: String, CaseIterable, Sendable {
        case oci, legacy, docker25, containerd, skopeo, crane
    }

    /// How the tar itself is written.
    public struct Layout {
        /// Names start with `./` (as `tar -C dir .` writes them).
        public var dotSlash = false
        /// Directory records appear twice.
        public var repeatDirectories = false
        /// Members in reverse order.
        public var reversed = false

        public init(dotSlash: Bool = false, repeatDirectories: Bool = false, reversed: Bool = false) {
            self.dotSlash = dotSlash
            self.repeatDirectories = repeatDirectories
            self.reversed = reversed
        }
    }

    public static func digest(_ bytes: [UInt8]) throws -> Digest {
        Digest(sha256Hex: try SHA256Hasher.hash(bytes).hexString)
    }

    /// The members of an archive of `shape` holding `images` (containerd: `sparse` adds an absent second platform
    /// under a multi-platform index).
    public static func members(_ shape: Shape, images: [ArchiveFixtureImage], sparse: Bool = false) throws
        -> [FixtureEntry]
    {
        let built = try images.map(BuiltArchiveImage.init)
        switch shape {
        case .oci: return try oci(built)
        case .legacy: return try legacy(built)
        case .docker25: return try docker25(built)
        case .containerd: return try containerd(built, sparse: sparse)
        case .skopeo: return try skopeo(built)
        case .crane: return try crane(built)
        }
    }

    /// Writes a tar of `entries` at `path`.
    @discardableResult
    public static func write(_ entries: [FixtureEntry], to path: String, layout: Layout = Layout()) throws -> String {
        var entries = entries
        if layout.repeatDirectories {
            entries += entries.compactMap { if case .directory = $0 { $0 } else { nil } }
        }
        if layout.reversed { entries.reverse() }
        if layout.dotSlash { entries = entries.map(dotSlashed) }
        try Data(try LayoutFixture.tar(entries)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes an archive of `shape` at `path`.
    @discardableResult
    public static func write(
        _ shape: Shape, images: [ArchiveFixtureImage], to path: String, layout: Layout = Layout(),
        sparse: Bool = false
    ) throws -> String {
        try write(try members(shape, images: images, sparse: sparse), to: path, layout: layout)
    }

    private static func dotSlashed(_ entry: FixtureEntry) -> FixtureEntry {
        switch entry {
        case .directory(let path): .directory("./" + path)
        case .file(let path, let bytes, let mode, let mtime): .file("./" + path, bytes, mode: mode, mtime: mtime)
        case .hardlink(let path, let target): .hardlink("./" + path, to: "./" + target)
        case .symlink(let path, let target): .symlink("./" + path, to: target)
        }
    }

    private static func json(_ strings: [String]) -> String {
        "[" + strings.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    private static func manifestList(_ entries: [(config: String, tags: [String], layers: [String])]) -> [UInt8] {
        let items = entries.map {
            #"{"Config":"\#($0.config)","RepoTags":\#(json($0.tags)),"Layers":\#(json($0.layers))}"#
        }
        return Array(("[" + items.joined(separator: ",") + "]\n").utf8)
    }

    private static func repositories(_ images: [BuiltArchiveImage], top: (BuiltArchiveImage) -> String) -> [UInt8] {
        var repositories: [String: [String: String]] = [:]
        for image in images {
            for tag in image.repoTags {
                let colon = tag.lastIndex(of: ":") ?? tag.endIndex
                let name = String(tag[..<colon])
                let version = colon == tag.endIndex ? "latest" : String(tag[tag.index(after: colon)...])
                repositories[name, default: [:]][version] = top(image)
            }
        }
        let text = repositories.sorted { $0.key < $1.key }.map { name, tags in
            let inner = tags.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
            return "\"\(name)\":{\(inner.joined(separator: ","))}"
        }
        return Array(("{" + text.joined(separator: ",") + "}\n").utf8)
    }

    /// A v1 layer id, as legacy writers derive one per layer of an image.
    private static func v1ID(_ image: BuiltArchiveImage, _ number: Int) throws -> String {
        try digest(Array("\(image.configDigest) \(number)".utf8)).encoded
    }

    private static func blob(_ bytes: [UInt8], _ digest: Digest) -> FixtureEntry {
        .file("blobs/sha256/\(digest.encoded)", bytes)
    }

    // MARK: Shapes

    private static func oci(_ images: [BuiltArchiveImage]) throws -> [FixtureEntry] {
        var entries: [FixtureEntry] = [
            .text("oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#), .directory("blobs"), .directory("blobs/sha256"),
        ]
        var listings: [String] = []
        var stored: Set<Digest> = []
        for image in images {
            for layer in image.layers where stored.insert(layer.digest).inserted {
                entries.append(blob(layer.blob, layer.digest))
            }
            entries += [blob(image.config, image.configDigest), blob(image.manifest, image.manifestDigest)]
            let tag = image.repoTags.first.map { DockerTag.tag(of: $0) }
            listings.append(image.listing(annotations: tag.map { [Annotation.refName: $0] } ?? [:]))
        }
        let index =
            #"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)","manifests":[\#(listings.joined(separator: ","))]}"#
        entries.append(.text("index.json", index))
        return entries
    }

    private static func legacy(_ images: [BuiltArchiveImage]) throws -> [FixtureEntry] {
        var entries: [FixtureEntry] = []
        var list: [(String, [String], [String])] = []
        var firstPath: [Digest: String] = [:]
        for image in images {
            var layers: [String] = []
            for (number, layer) in image.layers.enumerated() {
                let id = try v1ID(image, number)
                entries += [
                    .directory(id), .text("\(id)/VERSION", "1.0"), .text("\(id)/json", #"{"id":"\#(id)"}"#),
                ]
                // moby's save.go stores a layer seen before as a relative symlink to its first layer.tar.
                if let first = firstPath[layer.diffID] {
                    entries.append(.symlink("\(id)/layer.tar", to: "../\(first)"))
                } else {
                    entries.append(.file("\(id)/layer.tar", layer.blob))
                    firstPath[layer.diffID] = "\(id)/layer.tar"
                }
                layers.append("\(id)/layer.tar")
            }
            entries.append(.file("\(image.configDigest.encoded).json", image.config))
            list.append(("\(image.configDigest.encoded).json", image.repoTags, layers))
        }
        entries.append(.file("manifest.json", manifestList(list)))
        entries.append(
            .file("repositories", repositories(images) { (try? v1ID($0, $0.layers.count - 1)) ?? "" }))
        return entries
    }

    private static func docker25(_ images: [BuiltArchiveImage]) throws -> [FixtureEntry] {
        var entries: [FixtureEntry] = [.directory("blobs"), .directory("blobs/sha256")]
        var list: [(String, [String], [String])] = []
        var listings: [String] = []
        var stored: Set<Digest> = []
        for image in images {
            for layer in image.layers where stored.insert(layer.digest).inserted {
                entries.append(blob(layer.blob, layer.digest))
            }
            entries += [blob(image.config, image.configDigest), blob(image.manifest, image.manifestDigest)]
            for tag in image.repoTags {
                listings.append(
                    image.listing(annotations: [
                        Annotation.containerdImageName: DockerTag.full(tag), Annotation.refName: DockerTag.tag(of: tag),
                    ]))
            }
            list.append(
                (
                    "blobs/sha256/\(image.configDigest.encoded)", image.repoTags,
                    image.layers.map { "blobs/sha256/\($0.digest.encoded)" }
                ))
        }
        let index =
            #"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)","manifests":[\#(listings.joined(separator: ","))]}"#
        entries += [
            .text("index.json", index), .text("oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#),
            .file("manifest.json", manifestList(list)),
            .file("repositories", repositories(images) { $0.layers.last?.diffID.encoded ?? "" }),
        ]
        return entries
    }

    private static func containerd(_ images: [BuiltArchiveImage], sparse: Bool) throws -> [FixtureEntry] {
        var entries: [FixtureEntry] = [.directory("blobs"), .directory("blobs/sha256")]
        var list: [(String, [String], [String])] = []
        var listings: [String] = []
        var stored: Set<Digest> = []
        for image in images {
            for layer in image.layers where stored.insert(layer.digest).inserted {
                entries.append(blob(layer.blob, layer.digest))
            }
            entries += [blob(image.config, image.configDigest), blob(image.manifest, image.manifestDigest)]
            let name = image.repoTags.first.map(DockerTag.full)
            let annotations = name.map { [Annotation.containerdImageName: $0] } ?? [:]
            if sparse {
                // A multi-platform index of which only this platform's blobs were exported.
                let absent = try digest(Array("absent arm64 manifest of \(image.configDigest)".utf8))
                let inner = """
                    {"schemaVersion":2,"mediaType":"\(MediaType.ociIndex)","manifests":[\(image.listing(platform: true)),\
                    {"mediaType":"\(MediaType.ociManifest)","digest":"\(absent)","size":1234,\
                    "platform":{"architecture":"arm64","os":"linux"}}]}
                    """
                let innerDigest = try digest(Array(inner.utf8))
                entries.append(blob(Array(inner.utf8), innerDigest))
                let pairs = annotations.map { "\"\($0.key)\":\"\($0.value)\"" }
                listings.append(
                    #"{"mediaType":"\#(MediaType.ociIndex)","digest":"\#(innerDigest)","size":\#(inner.utf8.count)"#
                        + (pairs.isEmpty ? "" : #","annotations":{\#(pairs.joined(separator: ","))}"#) + "}")
            } else {
                listings.append(image.listing(annotations: annotations))
            }
            list.append(
                (
                    "blobs/sha256/\(image.configDigest.encoded)", image.repoTags,
                    image.layers.map { "blobs/sha256/\($0.digest.encoded)" }
                ))
        }
        // ctr export writes index.json without a mediaType of its own.
        let index = #"{"manifests":[\#(listings.joined(separator: ","))],"schemaVersion":2}"#
        entries += [
            .text("index.json", index), .text("oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#),
            .file("manifest.json", manifestList(list)),
        ]
        return entries
    }

    private static func skopeo(_ images: [BuiltArchiveImage]) throws -> [FixtureEntry] {
        var entries: [FixtureEntry] = []
        var list: [(String, [String], [String])] = []
        var stored: Set<Digest> = []
        for image in images {
            for (number, layer) in image.layers.enumerated() where stored.insert(layer.digest).inserted {
                entries.append(.file("\(layer.digest.encoded).tar", layer.blob))
                // containers/image also writes the legacy per-layer directories, whose layer.tar links to the layer.
                let id = try v1ID(image, number)
                entries += [
                    .directory(id), .text("\(id)/VERSION", "1.0"), .text("\(id)/json", #"{"id":"\#(id)"}"#),
                    .symlink("\(id)/layer.tar", to: "../\(layer.digest.encoded).tar"),
                ]
            }
            entries.append(.file("\(image.configDigest.encoded).json", image.config))
            list.append(
                (
                    "\(image.configDigest.encoded).json", image.repoTags,
                    image.layers.map { "\($0.digest.encoded).tar" }
                ))
        }
        entries.append(.file("manifest.json", manifestList(list)))
        entries.append(
            .file("repositories", repositories(images) { (try? v1ID($0, $0.layers.count - 1)) ?? "" }))
        return entries
    }

    private static func crane(_ images: [BuiltArchiveImage]) throws -> [FixtureEntry] {
        var entries: [FixtureEntry] = []
        var list: [(String, [String], [String])] = []
        var stored: Set<Digest> = []
        for image in images {
            entries.append(.file("\(image.configDigest)", image.config))
            for layer in image.layers where stored.insert(layer.digest).inserted {
                entries.append(.file("\(layer.digest.encoded).tar.gz", layer.blob))
            }
            list.append(("\(image.configDigest)", image.repoTags, image.layers.map { "\($0.digest.encoded).tar.gz" }))
        }
        entries.append(.file("manifest.json", manifestList(list)))
        return entries
    }
}

/// Docker name helpers for fixtures.
public enum DockerTag {
    /// `docker.io/library/app:1` for `app:1`.
    public static func full(_ name: String) -> String {
        let first = name.split(separator: "/").first.map(String.init) ?? ""
        let hasDomain = name.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        if hasDomain { return name }
        return "docker.io/" + (name.contains("/") ? name : "library/" + name)
    }

    /// The tag of `name:tag`.
    public static func tag(of name: String) -> String {
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return "latest" }
        return String(name[name.index(after: colon)...])
    }
}
