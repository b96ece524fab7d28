import ArgumentParser
import OCISlim

/// The `ocislim` command: `rewrite` and `audit`. The `ocislim` executable only runs it, so that tests can parse
/// command lines with `OCISlimCommand.parseAsRoot` without starting a process.
public struct OCISlimCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ocislim",
        abstract: "Make container images slimmer by minimizing the Python trees inside them.",
        // ASCII only, here and in every help text: generate-manual (`make man`) drops other characters.
        discussion: """
            ocislim reads an image (an OCI layout, an OCI archive or any `docker save` archive, named as skopeo names \
            them: oci:DIR:TAG, oci-archive:FILE, docker-archive:FILE:NAME:TAG), streams through every layer, \
            minimizes the Python bytecode inside, recomputes every digest and writes a new, valid image of the same \
            shape. The input is never modified; the output appears complete or not at all.

            Typical use in a mirroring pipeline:
              skopeo copy docker://python:3.12 oci:in:latest
              ocislim rewrite --strategy drop-optimized oci:in:latest oci:out:latest
              skopeo copy oci:out:latest docker://registry.example/python:3.12-slim

            After a build:
              docker save app:1 | ocislim rewrite - - | docker load
            """,
        version: "ocislim \(OCISlimCommand.version) (commit \(buildCommit))",
        subcommands: [Rewrite.self, Audit.self, Verify.self],
        defaultSubcommand: nil
    )

    /// The release version; `--version` adds the commit the binary was built from (Plugins/BuildInfo).
    public static let version = "0.3.0"

    /// The tool as reports name it.
    public static let tool = ToolInfo(name: "ocislim", version: version, commit: buildCommit)

    /// Makes the command; ArgumentParser fills it from the arguments.
    public init() {}
}
