import Hashing
import OCIImage

/// An image of the staged layout with what every archive shape needs of it: its config's bytes and diff_ids, checked
/// against its layers, and its names.
struct StagedImage {
    /// The image as the caller listed it.
    let image: ArchiveImage
    /// The config's bytes, written as they are.
    let configBytes: [UInt8]
    /// The config parsed.
    let configDocument: JSONValue
    /// One diff_id per layer, bottom first.
    let diffIDs: [Digest]
    /// The names to give it, each once, in the order given (digest-pinned names left out).
    let names: [TaggedName]

    var config: Digest { image.config.digest }
    var layers: [Descriptor] { image.layers }

    /// Reads the image's config from `layout` and checks that it lists one diff_id per layer.
    init(_ image: ArchiveImage, in layout: ImageLayout) throws {
        self.image = image
        configBytes = try layout.readDocument(image.config)
        let what = "blob \(image.config.digest)"
        configDocument = try JSONValue.parse(configBytes, what: what)
        diffIDs = try ImageConfig.read(configBytes, what: what).rootfs.diffIDs
        guard diffIDs.count == image.layers.count else {
            throw ArchiveWriteError.layerCountMismatch(
                config: image.config.digest, layers: image.layers.count, diffIDs: diffIDs.count)
        }
        names = try TaggedName.parse(image.repoTags)
    }

    /// The chain id of each layer (moby layer.CreateChainID): the first diff_id, then
    /// `sha256(parentChainID + " " + diffID)`.
    func chainIDs() throws -> [Digest] {
        var chain: [Digest] = []
        for diffID in diffIDs {
            guard let parent = chain.last else {
                chain.append(diffID)
                continue
            }
            let hex = try SHA256Hasher.hash(Array("\(parent) \(diffID)".utf8)).hexString
            chain.append(Digest(sha256Hex: hex))
        }
        return chain
    }

    /// A string member of the config (`os`, for moby's v1 JSON).
    func configString(_ key: String) -> String? { configDocument[key]?.stringValue }

    /// The staged images, those with the same `key` (config or manifest digest) merged into one with all their names,
    /// as every `docker save` writer lists an image once.
    static func load(_ images: [ArchiveImage], in layout: ImageLayout, mergingBy key: (ArchiveImage) -> Digest) throws
        -> [StagedImage]
    {
        var merged: [ArchiveImage] = []
        for image in images {
            if let position = merged.firstIndex(where: { key($0) == key(image) }) {
                merged[position].repoTags += image.repoTags
            } else {
                merged.append(image)
            }
        }
        return try merged.map { try StagedImage($0, in: layout) }
    }
}
