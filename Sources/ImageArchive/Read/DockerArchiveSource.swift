import ByteIO
import Codecs
import Hashing
import OCIImage

/// A `docker save` archive of any flavor, seen as an OCI layout. Archives that carry an OCI layout (Docker 25+,
/// containerd) present their own `index.json`; the others (legacy Docker, skopeo, crane) get one made from
/// `manifest.json`: one Docker schema 2 manifest per image, served from memory and verified like any blob.
struct DockerArchiveSource: ArchiveSource {
    let flavor: DockerArchiveFlavor
    let blobs: ArchiveBlobs
    private let index: [UInt8]
    private let marker: [UInt8]
    /// Each listed manifest's `RepoTags`, by the digest `index` lists it under.
    private let tags: [Digest: [String]]
    /// For each image of `manifest.json`, by position, the positions of its entries in `index` (Docker 25+ lists an
    /// image once per tag); nil when `index` was made from `manifest.json`, one entry per image.
    private let positions: [[Int]]?

    var name: String { blobs.archive.path }
    var shape: ImageShape { .dockerArchive(flavor) }
    var indexName: String {
        blobs.hasLayoutBlobs ? "\(name): index.json" : "\(name): the index made from manifest.json"
    }
    var allowsAbsentManifests: Bool { flavor == .containerd }

    func indexBytes() throws -> [UInt8] { index }
    func layoutMarkerBytes() throws -> [UInt8] { marker }
    func hasBlob(_ digest: Digest) -> Bool { blobs.contains(digest) }
    func blobLocation(_ digest: Digest) -> String { blobs.location(digest) }
    func openBlob(_ descriptor: Descriptor) throws -> VerifyingBlobSource { try blobs.open(descriptor) }
    func repoTags(ofManifest digest: Digest) -> [String] { tags[digest] ?? [] }

    /// `docker-archive:FILE@N` counts images as `manifest.json` lists them.
    func entries(atPosition position: Int, of index: ImageIndex) -> [Int] {
        guard let positions else { return index.manifests.indices.contains(position) ? [position] : [] }
        return positions.indices.contains(position) ? positions[position] : []
    }

    /// Its full name (`io.containerd.image.name`) and the `RepoTags` of `manifest.json`: the names a
    /// `docker-archive:FILE:NAME:TAG` reference selects by. The tag alone (`org.opencontainers.image.ref.name`) is no
    /// image name here.
    func names(of entry: Descriptor) -> [String] {
        let annotated = entry.annotations?[Annotation.containerdImageName].map { [$0] } ?? []
        var seen: Set<String> = []
        return (annotated + (tags[entry.digest] ?? [])).filter { seen.insert($0).inserted }
    }

    /// Reads `manifest.json` (and `index.json`, when the archive carries a layout) and checks that they and the
    /// configs agree.
    init(archive: ArchiveIndex) throws {
        let listMember = try archive.file("manifest.json", role: "the list of images of a docker save archive")
        let entries = try ArchiveManifest.parse(
            archive.document(listMember, limit: ImageLayout.documentLimit), archive: archive.path)
        if LayoutMembers.present(in: archive) {
            blobs = ArchiveBlobs(archive: archive, hasLayoutBlobs: true)
            (index, marker) = try LayoutMembers.read(archive)
            (tags, positions) = try Self.matchLayout(entries, index: index, blobs: blobs)
            let hasRepositories = (try? archive.resolve("repositories"))??.kind == .file
            flavor = hasRepositories ? .docker25 : .containerd
        } else {
            flavor = Self.flavorWithoutLayout(entries[0])
            var synthesis = Synthesis(blobs: ArchiveBlobs(archive: archive, hasLayoutBlobs: false))
            for (position, entry) in entries.enumerated() {
                try synthesis.add(entry, position: position)
            }
            index = try synthesis.indexBytes()
            blobs = synthesis.blobs
            tags = synthesis.tags
            positions = nil
            marker = ImageShape.layoutMarker
        }
    }

    /// The flavor of an archive without `index.json`, from how its first image's members are named.
    private static func flavorWithoutLayout(_ entry: ArchiveManifestEntry) -> DockerArchiveFlavor {
        if entry.config.hasPrefix("sha256:") { return .crane }
        if entry.layers.allSatisfy({ $0.hasSuffix("/layer.tar") }) { return .legacy }
        return .skopeo
    }

    // MARK: Archives with index.json (Docker 25+, containerd)

    /// Checks each `manifest.json` image against `index.json` (the same config under the same name) and returns the
    /// `RepoTags` of each index entry, and the index positions of each `manifest.json` image.
    private static func matchLayout(
        _ entries: [ArchiveManifestEntry], index indexBytes: [UInt8], blobs: ArchiveBlobs
    ) throws -> (tags: [Digest: [String]], positions: [[Int]]) {
        let archive = blobs.archive
        let index = try ImageIndex.read(indexBytes, listedAs: nil, what: "\(archive.path): index.json")
        let listed = try index.manifests.map { ($0, try configs(of: $0, blobs: blobs, depth: 0)) }
        var tags: [Digest: [String]] = [:]
        var positions: [[Int]] = []
        for (position, entry) in entries.enumerated() {
            let image = try ImageEntryCheck(entry, position: position, blobs: blobs)
            for (number, layer) in entry.layers.enumerated() {
                _ = try archive.file(layer, role: "layer \(number) of image \(position) in manifest.json")
            }
            // The same image is the one listed under one of its RepoTags; an untagged one, any with its config.
            let named = listed.filter { descriptor, _ in
                guard let name = descriptor.annotations?[Annotation.containerdImageName] else { return false }
                return entry.repoTags.contains { DockerNames.same(name, $0) }
            }
            let candidates = named.isEmpty ? listed : named
            let matched = candidates.filter { $0.1.contains(image.configDigest) }
            guard !matched.isEmpty else {
                let reason: String
                if let (descriptor, configs) = named.first {
                    let theirs = configs.isEmpty ? "absent" : configs.map(\.description).joined(separator: ", ")
                    reason =
                        "image \(position) (\(image.label)) has config \(image.configDigest), but index.json lists "
                        + "\(image.label) as \(descriptor.digest), whose config is \(theirs)"
                } else {
                    reason =
                        "image \(position) (\(image.label)) has config \(image.configDigest), which no image in "
                        + "index.json has"
                }
                throw ArchiveError.invalid(path: archive.path, member: "manifest.json", reason: reason)
            }
            for (descriptor, _) in matched { tags[descriptor.digest, default: []] += entry.repoTags }
            let matchedDigests = Set(matched.map(\.0.digest))
            positions.append(index.manifests.indices.filter { matchedDigests.contains(index.manifests[$0].digest) })
        }
        return (tags, positions)
    }

    /// The config digests of the images an index entry leads to (the present platforms of an index).
    private static func configs(of descriptor: Descriptor, blobs: ArchiveBlobs, depth: Int) throws -> [Digest] {
        guard blobs.contains(descriptor.digest) else { return [] }
        if MediaType.isManifest(descriptor.mediaType) {
            let bytes = try readDocument(descriptor, blobs: blobs)
            let what = "manifest \(descriptor.digest)"
            return [try ImageManifest.read(bytes, listedAs: descriptor.mediaType, what: what).config.digest]
        }
        guard MediaType.isIndex(descriptor.mediaType), depth < 2 else { return [] }
        let bytes = try readDocument(descriptor, blobs: blobs)
        let index = try ImageIndex.read(bytes, listedAs: descriptor.mediaType, what: "index \(descriptor.digest)")
        return try index.manifests.flatMap { try configs(of: $0, blobs: blobs, depth: depth + 1) }
    }

    private static func readDocument(_ descriptor: Descriptor, blobs: ArchiveBlobs) throws -> [UInt8] {
        let limit = ImageLayout.documentLimit
        guard descriptor.size <= Int64(limit) else {
            throw OCIError.documentTooLarge(what: "blob \(descriptor.digest)", size: descriptor.size, limit: limit)
        }
        return try blobs.open(descriptor).readAll(limit: limit)
    }
}

// MARK: The images of manifest.json

/// An image of `manifest.json` with its config read and its layer count checked against the config's `diff_ids`.
private struct ImageEntryCheck {
    let entry: ArchiveManifestEntry
    let configMember: ArchiveIndex.Member
    let configDigest: Digest
    let config: ImageConfig
    /// The image's first name, or its position, for messages.
    let label: String

    init(_ entry: ArchiveManifestEntry, position: Int, blobs: ArchiveBlobs) throws {
        let archive = blobs.archive
        self.entry = entry
        label = entry.repoTags.first ?? "@\(position)"
        configMember = try archive.file(entry.config, role: "the config of image \(position) in manifest.json")
        let (bytes, digest) = try blobs.document(configMember)
        configDigest = digest
        config = try ImageConfig.read(bytes, what: "\(archive.path): \(entry.config)")
        guard config.rootfs.diffIDs.count == entry.layers.count else {
            throw ArchiveError.invalid(
                path: archive.path, member: "manifest.json",
                reason: "image \(position) (\(label)) lists \(entry.layers.count) layers, but its config "
                    + "\(entry.config) has \(config.rootfs.diffIDs.count) diff_ids")
        }
    }
}

// MARK: Archives without index.json (legacy Docker, skopeo, crane)

/// Builds the OCI view of an archive without `index.json`: a Docker schema 2 manifest per `manifest.json` image,
/// whose layers are the layer members as stored, and an index listing them in order.
private struct Synthesis {
    var blobs: ArchiveBlobs
    var tags: [Digest: [String]] = [:]
    private var listed: [JSONValue] = []
    /// Members hashed so far (compressed layers not named by their digest), hashed once each.
    private var hashed: [String: Digest] = [:]

    init(blobs: ArchiveBlobs) { self.blobs = blobs }

    mutating func add(_ entry: ArchiveManifestEntry, position: Int) throws {
        let image = try ImageEntryCheck(entry, position: position, blobs: blobs)
        blobs.named[image.configDigest] = image.configMember.name
        var layers: [JSONValue] = []
        for (number, layerName) in entry.layers.enumerated() {
            let member = try blobs.archive.file(
                layerName, role: "layer \(number) of image \(position) in manifest.json")
            let diffID = image.config.rootfs.diffIDs[number]
            let compression = Compression.sniff(try blobs.archive.prefix(of: member, count: 4))
            let digest = try layerDigest(
                member, listedAs: layerName, compression: compression, diffID: diffID, image: image, number: number)
            blobs.named[digest] = member.name
            layers.append(Self.descriptor(Self.layerType(compression), digest: digest, size: member.size))
        }
        let manifest: JSONValue = .object([
            "schemaVersion": .integer(2),
            "mediaType": .string(MediaType.dockerManifest),
            "config": Self.descriptor(
                MediaType.dockerConfig, digest: image.configDigest, size: image.configMember.size),
            "layers": .array(layers),
        ])
        let bytes = try manifest.encoded()
        let digest = Digest(sha256Hex: try SHA256Hasher.hash(bytes).hexString)
        blobs.documents[digest] = bytes
        tags[digest, default: []] += entry.repoTags
        var listing = Self.descriptor(MediaType.dockerManifest, digest: digest, size: Int64(bytes.count))
        if let first = entry.repoTags.first {
            listing["annotations"] = .object([
                Annotation.refName: .string(DockerNames.tag(of: first)),
                Annotation.containerdImageName: .string(first),
            ])
        }
        listed.append(listing)
    }

    /// A layer's digest: the one its name carries, else (uncompressed) its config's diff_id, checked as it is read,
    /// else its hash, computed once.
    private mutating func layerDigest(
        _ member: ArchiveIndex.Member, listedAs layerName: String, compression: Compression, diffID: Digest,
        image: ImageEntryCheck, number: Int
    ) throws -> Digest {
        if let hex = MemberName.digestHex(member.name) {
            let named = Digest(sha256Hex: hex)
            guard compression != .uncompressed || named == diffID else {
                throw ArchiveError.invalid(
                    path: blobs.archive.path, member: layerName,
                    reason: "its name says \(named), but its config \(image.entry.config) says diff_ids[\(number)] "
                        + "is \(diffID)")
            }
            return named
        }
        guard compression != .uncompressed else {
            blobs.claimed[diffID] = ArchiveBlobs.ClaimedDigest(
                member: layerName, config: image.entry.config, position: number)
            return diffID
        }
        if let digest = hashed[member.name] { return digest }
        let digest = try blobs.hash(member)
        hashed[member.name] = digest
        return digest
    }

    func indexBytes() throws -> [UInt8] {
        try JSONValue.object([
            "schemaVersion": .integer(2),
            "mediaType": .string(MediaType.ociIndex),
            "manifests": .array(listed),
        ]).encoded()
    }

    /// Docker schema 2 has no zstd layer type: a zstd layer gets OCI's.
    private static func layerType(_ compression: Compression) -> String {
        switch compression {
        case .uncompressed: MediaType.dockerLayer
        case .gzip: MediaType.dockerLayerGzip
        case .zstd: MediaType.ociLayerZstd
        }
    }

    private static func descriptor(_ mediaType: String, digest: Digest, size: Int64) -> JSONValue {
        .object(["mediaType": .string(mediaType), "digest": .string(digest.description), "size": .integer(size)])
    }
}

/// Docker's short image names written out, to match `RepoTags` (`app:1`) with `io.containerd.image.name`
/// (`docker.io/library/app:1`).
public enum DockerNames {
    /// Whether two names are the same once Docker's defaults (`docker.io/`, `library/`, `:latest`) are written out.
    public static func same(_ one: String, _ other: String) -> Bool {
        one == other || normalized(one) == normalized(other)
    }

    /// The tag of `name:tag` (`latest` when it has none).
    public static func tag(of name: String) -> String {
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return "latest" }
        return String(name[name.index(after: colon)...])
    }

    /// The name with Docker's defaults written out: `app` → `docker.io/library/app:latest`; a name pinned by digest
    /// (`app@sha256:…`) keeps its digest instead of a tag.
    public static func normalized(_ name: String) -> String {
        if let at = name.firstIndex(of: "@") {
            return normalizedRepository(String(name[..<at])) + String(name[at...])
        }
        var repository = name
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") { repository = String(name[..<colon]) }
        return normalizedRepository(repository) + ":" + tag(of: name)
    }

    /// `docker.io/library/python` for `python`, `docker.io/a/b` for `a/b` and `index.docker.io/a/b`; a name whose
    /// first part is a host (a dot, a port, `localhost`, or an upper-case letter, which repository paths cannot
    /// hold) is kept as it is. The one normaliser of repositories: reading and writing archives both use it.
    static func normalizedRepository(_ repository: String) -> String {
        let parts = repository.split(separator: "/", maxSplits: 1).map(String.init)
        let first = parts.first ?? ""
        let isHost = first.contains(".") || first.contains(":") || first == "localhost" || first != first.lowercased()
        if parts.count == 2, isHost {
            return first == "index.docker.io" ? "docker.io/" + parts[1] : repository
        }
        return "docker.io/" + (parts.count == 1 ? "library/" + repository : repository)
    }
}
