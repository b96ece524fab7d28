import Codecs
import OCIImage
import PythonMinimizer

/// What a rewrite did, for people (`renderTable()`) and machines (`--report FILE.json`).
public struct RewriteReport: Codable, Sendable {
    /// The tool's report format version.
    public var version = 1
    /// The tool that wrote the report (set by the command line).
    public var tool: ToolInfo?
    /// The strategy applied (`none` for `--reclaim-hidden` alone).
    public var strategy: String
    /// Whether files upper layers hide were removed (`--reclaim-hidden`).
    public var reclaimHidden = false
    /// Every image manifest and index whose digest changed, old → new, with the name it is listed under: what a
    /// pipeline re-signs (`cosign sign`, `notation sign`) and how it proves lineage. Relinked referrers are not in
    /// it (they are not what one signs; `referrers` has their new digests).
    public var digestMap: [DigestMapping] = []
    /// Every signature and attestation found that refers to a document of the image, and what was done with it.
    public var referrers: [ReferrerReport] = []
    /// With `--reclaim-hidden`: the layers it rewrote that nothing else changed, and their compressed size. Such a
    /// layer gets a new digest, so other images built on the same base stop sharing it: a fleet stores and pulls
    /// this much more per image (`--keep-layers`, `--keep-layers-of` keep them).
    public var unsharedByReclaim: UnsharedLayers?
    /// `--compression`: `keep`, `gzip`, `zstd` or `none`.
    public var compression: String
    /// `--compression-level`, when given.
    public var compressionLevel: Int32?
    /// The input layout.
    public var input: String
    /// The output layout.
    public var output: String
    /// One entry per rewritten image manifest.
    public var images: [ImageReport]
    /// Old → new digest of every blob that changed (layers, configs, manifests, indexes).
    public var rewrittenBlobs: [BlobRewrite]
    /// Sums over distinct layers.
    public var totals: Totals
    /// Things the user should know (images copied unchanged, libarchive warnings).
    public var warnings: [String]
    /// With `--cache`: what the cache held and saved; absent without it.
    public var cache: CacheReport?

    /// What a run that changes nothing says instead of a table of zeros; nil when something changes.
    public var nothingToDo: String? {
        guard rewrittenBlobs.isEmpty else { return nil }
        if !images.isEmpty && images.allSatisfy({ !$0.pythonInterpreter }) {
            return "no Python interpreter found; nothing to do"
        }
        return "nothing to change"
    }
}

/// One manifest or index the run gave a new digest.
public struct DigestMapping: Codable, Sendable, Equatable {
    public var old: Digest
    public var new: Digest
    /// Its media type.
    public var mediaType: String
    /// The name it is listed under in the output's `index.json` (ref name, RepoTag), or where it sits below one.
    public var name: String?
}

/// A referrer of the report: a signature or attestation of a document of the image.
public struct ReferrerReport: Codable, Sendable, Equatable {
    /// Its manifest's digest in the input.
    public var digest: Digest
    /// `signature`, `attestation` or `unknown`.
    public var `class`: ReferrerClass
    /// How it names its subject: `buildkit-attestation`, `oci-referrer`, `cosign-tag`.
    public var kind: ReferrerKind
    /// Its artifact type (else its first layer's media type).
    public var artifactType: String?
    /// Its cosign tag, or another ref name it is listed under, in the output when it changed.
    public var name: String?
    /// Found only as a loose blob (`--scan-blobs`).
    public var loose: Bool
    /// The subject's digest before and after (nil after when the subject is not in the image).
    public var subject: SubjectChange
    /// `relinked`, `dropped`, `kept` or `unchanged`.
    public var action: ReferrerAction
    /// Its digest in the output, when relinked to a new one.
    public var newDigest: Digest?
    /// Why it was dropped whatever the policy, when the output cannot hold referrers: "docker-archive cannot hold
    /// signatures or attestations". Absent otherwise.
    public var reason: String? = nil
}

/// A referrer's subject before and after.
public struct SubjectChange: Codable, Sendable, Equatable {
    public var old: Digest
    public var new: Digest?

    /// Makes a change.
    public init(old: Digest, new: Digest?) {
        self.old = old
        self.new = new
    }
}

/// Layers `--reclaim-hidden` alone gave a new digest.
public struct UnsharedLayers: Codable, Sendable, Equatable {
    /// How many distinct layers.
    public var layers: Int
    /// Their compressed size after the rewrite.
    public var compressedBytes: Int64

    /// Makes a count.
    public init(layers: Int, compressedBytes: Int64) {
        self.layers = layers
        self.compressedBytes = compressedBytes
    }
}

/// One image of the report.
public struct ImageReport: Codable, Sendable {
    /// The ref name or platform.
    public var name: String
    /// The manifest's digest before and after.
    public var manifest: BlobRewrite
    /// The config's digest before and after.
    public var config: BlobRewrite
    /// Environment variables added to the config.
    public var environmentAdded: [String]
    /// Whether the image has a Python interpreter at the top (`…/bin/python3`).
    public var pythonInterpreter: Bool
    /// For `sourceless`: modules converted, and sources kept by reason.
    public var modules: ModuleSummary
    /// One entry per layer, bottom first.
    public var layers: [LayerReport]
}

/// One layer of the report.
public struct LayerReport: Codable, Sendable {
    /// Position in the manifest, 0 at the bottom.
    public var index: Int
    /// The layer's media type in the input (`blob.newMediaType` is the output's when it changed).
    public var mediaType: String
    /// Whether the layer was passed through unchanged (same blob).
    public var unchanged: Bool
    /// The blob before and after.
    public var blob: BlobRewrite
    /// The compression before and after.
    public var compression: CompressionChange
    /// The diff_id before and after.
    public var diffID: BlobRewrite
    /// Compressed sizes before and after.
    public var compressedSize: SizeChange
    /// Uncompressed (tar) sizes before and after.
    public var uncompressedSize: SizeChange
    /// Files removed, added and hardlinked.
    public var filesRemoved: Int
    public var filesAdded: Int
    public var filesHardlinked: Int
    /// File data bytes saved, by category.
    public var bytesSaved: [String: Int64]
}

/// A digest before and after.
public struct BlobRewrite: Codable, Sendable, Hashable {
    public var old: Digest
    public var new: Digest
    /// The media type of the old blob.
    public var mediaType: String?
    /// The media type of the new blob, when it differs (a layer written with another compression).
    public var newMediaType: String?
}

/// A layer's compression before and after.
public struct CompressionChange: Codable, Sendable, Hashable {
    public var old: Compression
    public var new: Compression

    public init(old: Compression, new: Compression) {
        self.old = old
        self.new = new
    }
}

/// A size before and after.
public struct SizeChange: Codable, Sendable {
    public var old: Int64
    public var new: Int64
    /// `new - old`.
    public var change: Int64 { new - old }

    enum CodingKeys: String, CodingKey { case old, new }

    public init(old: Int64, new: Int64) {
        self.old = old
        self.new = new
    }
}

/// Totals over distinct layers (a layer shared by several images counts once).
public struct Totals: Codable, Sendable {
    public var layers = 0
    public var layersRewritten = 0
    /// Layers written with another compression (whether or not their files changed).
    public var layersRecompressed = 0
    public var compressedSize = SizeChange(old: 0, new: 0)
    public var uncompressedSize = SizeChange(old: 0, new: 0)
    public var filesRemoved = 0
    public var filesAdded = 0
    public var filesHardlinked = 0
    public var bytesSaved: [String: Int64] = [:]
}
