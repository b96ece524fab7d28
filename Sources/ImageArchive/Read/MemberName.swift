/// An archive member's name as the tools that read archives see it: `./` prefixes, repeated and trailing `/` and `.`
/// components dropped, so `./blobs//sha256/x` and `blobs/sha256/x` are one member.
enum MemberName {
    /// Why a name cannot be a member of the archive's tree.
    enum Defect: Error, Equatable {
        /// A `..` component: the member would lie outside the archive's root.
        case parentComponent
        /// A name starting with `/`.
        case absolute
    }

    /// The normalised components of `name`; empty for the archive's root (`./`).
    static func components(_ name: String) throws(Defect) -> [Substring] {
        if name.hasPrefix("/") { throw .absolute }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.contains("..") { throw .parentComponent }
        return parts
    }

    /// The normalised form of `name`.
    static func normalized(_ name: String) throws(Defect) -> String {
        try components(name).joined(separator: "/")
    }

    /// The digest a member's name carries, as the tools name blobs: `blobs/sha256/<hex>` (OCI layouts, Docker 25+),
    /// `<hex>.tar` (skopeo), `<hex>.tar.gz` (crane), `sha256:<hex>` (crane's config), `<hex>.json` (configs).
    static func digestHex(_ name: String) -> String? {
        var last = Substring(name.split(separator: "/").last ?? "")
        let directory = name.dropLast(last.count)
        if directory == "blobs/sha256/" { return isHex(last) ? String(last) : nil }
        guard directory.isEmpty else { return nil }
        if last.hasPrefix("sha256:") { last = last.dropFirst("sha256:".count) }
        for suffix in [".tar.gz", ".tar.zst", ".tar", ".json"] where last.hasSuffix(suffix) {
            last = last.dropLast(suffix.count)
            break
        }
        return isHex(last) ? String(last) : nil
    }

    private static func isHex(_ text: Substring) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
