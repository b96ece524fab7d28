// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
import OCIImage

/// A tar of an OCI image layout (`oci-archive:`): its `index.json`, `oci-layout` and `blobs/<algorithm>/<hex>`
/// members, read in place.
struct OCIArchiveSource: ArchiveSource {
    let blobs: ArchiveBlobs
    private let index: [UInt8]
    private let marker: [UInt8]
    let allowsAbsentManifests: Bool

    var name: String { blobs.archive.path }
    var shape: ImageShape { .ociArchive }
    var indexName: String { "\(name): index.json" }

    /// Reads the layout's `oci-layout` and `index.json`. `allowsAbsentManifests` for an export that may hold one
    /// platform of an index (a `ctr export`, read as an OCI archive).
    init(archive: ArchiveIndex, allowsAbsentManifests: Bool) throws {
        blobs = ArchiveBlobs(archive: archive, hasLayoutBlobs: true)
        (index, marker) = try LayoutMembers.read(archive)
        self.allowsAbsentManifests = allowsAbsentManifests
    }

    func indexBytes() throws -> [UInt8] { index }
    func layoutMarkerBytes() throws -> [UInt8] { marker }
    func hasBlob(_ digest: Digest) -> Bool { blobs.contains(digest) }
    func blobLocation(_ digest: Digest) -> String { blobs.location(digest) }
    func openBlob(_ descriptor: Descriptor) throws -> VerifyingBlobSource { try blobs.open(descriptor) }
    func repoTags(ofManifest digest: Digest) -> [String] { [] }
}

/// The two top-level files of an archived OCI layout.
enum LayoutMembers {
    /// Whether the archive has both as regular files.
    static func present(in archive: ArchiveIndex) -> Bool {
        ["oci-layout", "index.json"].allSatisfy { (try? archive.resolve($0))??.kind == .file }
    }

    /// The bytes of `index.json` and of `oci-layout`, whose version must be 1.0.0.
    static func read(_ archive: ArchiveIndex) throws -> (index: [UInt8], marker: [UInt8]) {
        let limit = ImageLayout.documentLimit
        let marker = try archive.document(try archive.file("oci-layout", role: "an OCI layout's marker"), limit: limit)
        let version = try JSONValue.parse(marker, what: "\(archive.path): oci-layout")["imageLayoutVersion"]
        guard version?.stringValue == "1.0.0" else {
            let found = version.map { $0.stringValue.map { "\"\($0)\"" } ?? ArchiveManifest.kind($0) } ?? "none"
            throw ArchiveError.invalid(
                path: archive.path, member: "oci-layout",
                reason: "unsupported imageLayoutVersion \(found) (expected \"1.0.0\")")
        }
        let index = try archive.document(try archive.file("index.json", role: "an OCI layout's index"), limit: limit)
        return (index, marker)
    }
}
