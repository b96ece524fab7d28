import ArgumentParser
import OCIImage

/// `--platform`, shared by `rewrite` and `audit`: which platforms of a multi-platform image to work on.
struct ImageSelectionOptions: ParsableArguments {
    @Option(
        name: .customLong("platform"),
        help: ArgumentHelp(
            "Work on this platform of a multi-platform image only (repeatable).",
            discussion: "OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8. The other platforms are carried "
                + "over unchanged, byte for byte, and the index lists the new manifests beside them.",
            valueName: "os/arch[/variant]"
        )
    )
    var platforms: [Platform] = []
}

extension Platform: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

/// The reference grammar, for `--help`.
enum ReferenceHelp {
    static let input = ArgumentHelp(
        "The image to read.",
        discussion: """
            oci:DIR[:NAME] (a layout; NAME selects the image with that ref name), oci-archive:FILE[:NAME], \
            docker-archive:FILE[:NAME:TAG] or docker-archive:FILE@N (a `docker save` archive of any Docker, \
            containerd, skopeo, podman or crane version; NAME:TAG or the position N selects one image). A bare \
            path is a layout if it is a directory and an archive, recognised by its content, if it is a file. - \
            reads an archive from standard input, which is first copied to a temporary file in TMPDIR.
            """,
        valueName: "input"
    )

    static let output = ArgumentHelp(
        "Where to write the result: a reference like the input's.",
        discussion: """
            With no transport the output takes the input's shape (a `docker save` archive stays one of the same \
            kind). A new path must not exist (a directory may be empty). oci:EXISTING_DIR:NAME adds the image to \
            an existing layout under NAME, sharing its blobs. - writes the archive to standard output once \
            everything is done (the report then goes to standard error).
            """,
        valueName: "output"
    )
}
