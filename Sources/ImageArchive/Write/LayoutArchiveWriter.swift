import OCIImage

// An OCI layout as a tar, the way two writers make it:
// - containers/image oci/archive/oci_dest.go (`oci-archive:`): the staged layout directory tarred by
//   containers/storage pkg/archive (a directory walk: names sorted within each directory, `blobs/` first);
// - containerd images/archive/exporter.go (v1.6/v1.7, `ctr images export`, Docker's containerd store): records
//   sorted by name, `blobs/` and `blobs/sha256/` directories, blobs as the store holds them, `index.json`, a
//   docker-compatible `manifest.json`, `oci-layout` (ContainerdArchiveWriter).
// Both orders agree for a layout's names.

/// Writes the staged layout itself: every blob as it is, `index.json` and `oci-layout` byte for byte, and any
/// `documents` beside them (containerd's `manifest.json`).
enum LayoutArchiveWriter {
    static func write(_ blobs: StagedBlobs, documents: [(String, [UInt8])] = [], into members: ArchiveMemberWriter)
        throws
    {
        try members.directory("blobs")
        try members.directory("blobs/sha256")
        for blob in try blobs.all() {
            try blobs.copy(blob, as: "blobs/sha256/\(blob.digest.encoded)", into: members)
        }
        let layoutFiles = [
            ("index.json", try blobs.layout.indexBytes()), ("oci-layout", try blobs.layout.layoutMarkerBytes()),
        ]
        for (name, bytes) in (layoutFiles + documents).sorted(by: { $0.0 < $1.0 }) {
            try members.file(name, bytes)
        }
    }
}
