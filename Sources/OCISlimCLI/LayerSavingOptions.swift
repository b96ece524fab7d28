import ArgumentParser

/// `--min-layer-saving`, shared by `rewrite` and `audit`: which layers are worth a new digest.
struct LayerSavingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Leave a layer unchanged (same digest) unless it saves at least this many bytes of file data.",
            discussion: "Rewriting a base layer changes its digest, so registries and hosts no longer share it "
                + "with other images; a tiny saving is not worth that.",
            valueName: "bytes"
        )
    )
    var minLayerSaving: Int64 = 64 * 1024

    func validate() throws {
        if minLayerSaving < 0 { throw ValidationError("--min-layer-saving cannot be negative.") }
    }
}
