import ArgumentParser
import OCISlim

/// `--signatures`, `--attestations` and `--scan-blobs`: what `rewrite` does with the signatures and attestations of
/// the images it changes.
struct ReferrerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "What to do with signatures of images the rewrite changes.",
            discussion: """
                Signatures are cosign's (sha256-HEX.sig and .att tags, sigstore bundles), notation's, any signed \
                envelope, and artifacts of a type ocislim does not know. They cannot survive a content change. A \
                signature of an image that turns out unchanged stays as it is (its image keeps its digest); refuse \
                decides before the layers are read, so it counts every signature of an image selected for \
                rewriting. A docker-archive output holds no signature: refuse then refuses every one, changed or \
                not. Re-sign the new digests (--digestfile) with cosign sign or notation sign.
                """,
            valueName: "policy"
        ))
    var signatures: ReferrerPolicy.Signatures = .drop

    @Option(
        help: ArgumentHelp(
            "What to do with unsigned attestations of images the rewrite changes.",
            discussion: """
                Attestations are BuildKit's provenance and SBOM manifests, unsigned in-toto statements attached as \
                OCI referrers, and cosign's sha256-HEX.sbom tags. relink points vnd.docker.reference.digest, the \
                subject descriptor and each statement's subject[].digest at the new image (the predicate is never \
                changed) and renames a .sbom tag.
                """,
            valueName: "policy"
        ))
    var attestations: ReferrerPolicy.Attestations = .relink

    @Flag(
        help: ArgumentHelp(
            "Also look for signatures and attestations among blobs no index lists.",
            discussion: "Each found is reported; those carried over (relinked, kept, or whose image is unchanged) "
                + "are listed in the output's index.json, so they stay reachable."
        ))
    var scanBlobs = false

    /// The policy the pipeline applies.
    var policy: ReferrerPolicy {
        ReferrerPolicy(signatures: signatures, attestations: attestations, scanBlobs: scanBlobs)
    }
}

/// `--signatures` takes the library's policy by name; `--help` says what each does.
extension ReferrerPolicy.Signatures: ExpressibleByArgument {
    public static var allValueDescriptions: [String: String] {
        [
            "drop": "remove them from the output; the report lists each (default).",
            "keep": "carry them over unchanged, still naming the old digest, with a warning.",
            "refuse": "stop before any layer is read, exit status 3, naming them.",
        ]
    }
}

/// `--attestations` takes the library's policy by name; `--help` says what each does.
extension ReferrerPolicy.Attestations: ExpressibleByArgument {
    public static var allValueDescriptions: [String: String] {
        [
            "relink": "point them at the new image digest and recompute their digests (default).",
            "drop": "remove them from the output.",
        ]
    }
}
