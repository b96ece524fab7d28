/// Tells an archive's kind by its content, never by its name: `manifest.json` makes a `docker save` archive (of the
/// flavor its members show), `index.json` with `oci-layout` and no `manifest.json` an OCI archive.
enum ArchiveDetection {
    /// Indexes the archive at `path` in one pass and opens it as the kind it is. With `expected` (the transport the
    /// user named), an archive of the other kind is refused; a Docker 25+ or containerd archive, which is both an
    /// OCI layout and a `docker save` archive, is read as the kind asked for.
    static func open(path: String, expected: ArchiveKind?) throws -> any ArchiveSource {
        let archive = try ArchiveIndex.scan(path: path)
        let hasList = (try? archive.resolve("manifest.json")) != nil
        let isLayout = LayoutMembers.present(in: archive)
        switch expected {
        case .ociArchive:
            guard isLayout else {
                let hint = hasList ? ": it is a docker save archive (read it as docker-archive:\(path))" : ""
                throw ArchiveError.invalid(
                    path: path, member: nil, reason: "not an OCI archive: it has no index.json and oci-layout\(hint)")
            }
            return try OCIArchiveSource(archive: archive, allowsAbsentManifests: hasList)
        case .dockerArchive:
            guard hasList else {
                let hint = isLayout ? ": it is an OCI archive (read it as oci-archive:\(path))" : ""
                throw ArchiveError.invalid(
                    path: path, member: nil, reason: "not a docker save archive: it has no manifest.json\(hint)")
            }
            return try DockerArchiveSource(archive: archive)
        case nil:
            if hasList { return try DockerArchiveSource(archive: archive) }
            if isLayout { return try OCIArchiveSource(archive: archive, allowsAbsentManifests: false) }
            throw ArchiveError.invalid(
                path: path, member: nil,
                reason: "neither an OCI archive (no index.json and oci-layout) nor a docker save archive "
                    + "(no manifest.json)")
        }
    }
}
