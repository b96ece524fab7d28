/// The tool that wrote a report, so a report found later says which build made it.
public struct ToolInfo: Codable, Sendable, Equatable {
    /// "ocislim".
    public var name: String
    /// The release version.
    public var version: String
    /// The git commit the binary was built from (`-dirty` when the tree had changes; `unknown` outside git).
    public var commit: String

    /// Makes a tool description.
    public init(name: String, version: String, commit: String) {
        self.name = name
        self.version = version
        self.commit = commit
    }
}
