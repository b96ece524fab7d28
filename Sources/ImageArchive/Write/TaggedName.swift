// https://github.com/distribution/reference/blob/main/normalize.go (ParseNormalizedNamed, FamiliarName, TagNameOnly)

/// An image name with a tag, as `RepoTags` and `repositories` spell it: Docker writes the short ("familiar") form
/// (`python:3.12`, `ghcr.io/a/b:1`), skopeo and the OCI index annotations the full one
/// (`docker.io/library/python:3.12`).
struct TaggedName: Hashable {
    /// The full repository name: `docker.io/library/python`.
    let repository: String
    /// The tag: `3.12`; `latest` when the name had none.
    let tag: String

    /// Parses a name as Docker normalizes it; nil for a name pinned by digest (`name@sha256:…`), which Docker
    /// saves without a tag.
    init?(parsing text: String) throws {
        guard !text.contains("@") else { return nil }
        let lastSlash = text.lastIndex(of: "/")
        // The tag follows the last colon after the last slash; a colon before it is a registry's port.
        var tagColon: String.Index?
        if let colon = text.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true { tagColon = colon }
        let name = tagColon.map { String(text[..<$0]) } ?? text
        let tag = tagColon.map { String(text[text.index(after: $0)...]) } ?? "latest"
        guard !name.isEmpty, !tag.isEmpty, !name.hasPrefix("/"), !name.hasSuffix("/"), !name.contains("//") else {
            throw ArchiveWriteError.invalidTag(text)
        }
        repository = DockerNames.normalizedRepository(name)
        self.tag = tag
    }

    /// The repository as Docker shows it: `python`, `a/b`, `ghcr.io/a/b`.
    var familiarRepository: String {
        guard repository.hasPrefix("docker.io/") else { return repository }
        let path = repository.dropFirst("docker.io/".count)
        if path.hasPrefix("library/"), !path.dropFirst("library/".count).contains("/") {
            return String(path.dropFirst("library/".count))
        }
        return String(path)
    }

    /// `python:3.12`.
    var familiar: String { "\(familiarRepository):\(tag)" }

    /// `docker.io/library/python:3.12`.
    var full: String { "\(repository):\(tag)" }

    /// The tagged names of `tags` in order, each once; names pinned by digest are left out.
    static func parse(_ tags: [String]) throws -> [TaggedName] {
        var names: [TaggedName] = []
        for tag in tags {
            guard let name = try TaggedName(parsing: tag), !names.contains(name) else { continue }
            names.append(name)
        }
        return names
    }
}
