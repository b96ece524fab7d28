// https://github.com/moby/buildkit/blob/master/docs/attestations/attestation-storage.md
// https://github.com/opencontainers/image-spec/blob/v1.1.0/manifest.md (subject, artifactType)
// https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md (tag fallback, simple signing)
// https://github.com/sigstore/cosign/blob/main/specs/ATTESTATION_SPEC.md (DSSE envelopes)
// https://github.com/notaryproject/specs/blob/main/specs/signature-specification.md

import OCIImage

/// What a referrer is, which decides the policy that acts on it when its subject gets a new digest.
public enum ReferrerClass: String, Codable, Sendable, CaseIterable {
    /// Bound to the subject's digest by a signature (cosign simple signing or DSSE, a sigstore bundle, notation,
    /// any signed envelope): it cannot follow a content change; `--signatures` acts on it.
    case signature
    /// An unsigned statement about the subject (BuildKit provenance and SBOM, an in-toto statement, an SBOM):
    /// `--attestations` relinks it to the new digest or drops it.
    case attestation
    /// An artifact of a type ocislim does not know. It may be signed, so relinking it could make it claim what it
    /// never said: `--signatures` acts on it, like a signature.
    case unknown
}

/// How a referrer names its subject.
public enum ReferrerKind: String, Codable, Sendable {
    /// A BuildKit attestation manifest in the subject's index: `vnd.docker.reference.digest` on its descriptor.
    case buildkitAttestation = "buildkit-attestation"
    /// An OCI 1.1 referrer: the manifest's `subject` descriptor.
    case ociReferrer = "oci-referrer"
    /// cosign's tag fallback: a `sha256-<hex>.sig`, `.att` or `.sbom` ref name in an index.
    case cosignTag = "cosign-tag"
}

/// A manifest that refers to another document of the image, as the graph reader found it.
struct ReferrerNode: Sendable {
    /// The manifest as first listed (its descriptor carries BuildKit's annotations or cosign's tag).
    let descriptor: Descriptor
    let manifestBytes: [UInt8]
    let manifest: ImageManifest
    let kind: ReferrerKind
    let referrerClass: ReferrerClass
    /// The digest of the document it refers to.
    let subject: Digest
    /// The config and layers the source holds, copied or relinked with it.
    let blobs: [Descriptor]
    /// Whether it was found only as a loose blob (`--scan-blobs`), listed by no index.
    var loose = false

    /// The artifact type it declares, else its first layer's media type: what the report shows.
    var artifactType: String? { manifest.artifactType ?? manifest.layers.first?.mediaType }
}

/// Recognises referrers among manifests and classifies them by their media types.
enum ReferrerDetector {
    static let referenceType = "vnd.docker.reference.type"
    static let referenceDigest = "vnd.docker.reference.digest"
    static let attestationManifest = "attestation-manifest"
    /// The annotation cosign puts the signature in, on a simple-signing layer.
    static let cosignSignature = "dev.cosignproject.cosign/signature"
    static let inToto = "application/vnd.in-toto+json"
    /// Loose blobs larger than this are not read as manifests: registries refuse manifests over 4 MiB
    /// (distribution-spec, "Pushing Manifests").
    static let manifestLimit: Int64 = 4 << 20

    /// Media types (artifact or layer) that carry a signature over the subject's digest.
    static let signedTypes: Set<String> = [
        "application/vnd.dev.cosign.simplesigning.v1+json",
        "application/vnd.dsse.envelope.v1+json",
        "application/vnd.cncf.notary.signature",
        "application/jose+json",
        "application/cose",
    ]
    /// Media types of unsigned statements and SBOMs.
    static let unsignedTypes: Set<String> = [
        inToto,
        "application/spdx+json",
        "text/spdx",
        "text/spdx+json",
        "text/spdx+xml",
        "application/vnd.cyclonedx+json",
        "application/vnd.cyclonedx+xml",
        "application/vnd.cyclonedx",
        "application/vnd.syft+json",
    ]

    /// How `descriptor` (a manifest, read as `manifest`) names a subject, if it is a referrer: BuildKit's
    /// annotations first, then a `subject` descriptor, then a cosign tag.
    static func subject(of descriptor: Descriptor, manifest: ImageManifest) -> (ReferrerKind, Digest)? {
        let annotations = descriptor.annotations ?? [:]
        if annotations[referenceType] == attestationManifest, let text = annotations[referenceDigest],
            let digest = try? Digest(parsing: text)
        {
            return (.buildkitAttestation, digest)
        }
        if let subject = manifest.subject { return (.ociReferrer, subject.digest) }
        if let name = descriptor.referenceName, let digest = cosignSubject(tag: name) { return (.cosignTag, digest) }
        return nil
    }

    /// The subject a cosign fallback tag names: `sha256-<64 hex>.sig`, `.att` or `.sbom`.
    static func cosignSubject(tag: String) -> Digest? {
        guard let (hex, suffix) = cosignTagParts(tag), ["sig", "att", "sbom"].contains(suffix) else { return nil }
        return try? Digest(parsing: "sha256:\(hex)")
    }

    /// The tag cosign gives a `suffix` object of `subject`.
    static func cosignTag(of subject: Digest, suffix: String) -> String { "sha256-\(subject.encoded).\(suffix)" }

    /// A cosign fallback tag's subject hex and suffix.
    static func cosignTagParts(_ tag: String) -> (hex: String, suffix: String)? {
        guard tag.hasPrefix("sha256-") else { return nil }
        let rest = tag.dropFirst("sha256-".count)
        guard let dot = rest.firstIndex(of: ".") else { return nil }
        return (String(rest[..<dot]), String(rest[rest.index(after: dot)...]))
    }

    /// The class of a referrer: a signature if its artifact type, a layer's media type or a layer's cosign
    /// annotation says it is signed (cosign's `.sig` and `.att` tags included); an attestation if every layer is an
    /// unsigned statement or SBOM; unknown otherwise.
    static func classify(_ manifest: ImageManifest) -> ReferrerClass {
        let layerTypes = manifest.layers.map(\.mediaType)
        let types = layerTypes + [manifest.artifactType].compactMap { $0 }
        if types.contains(where: isSigned)
            || manifest.layers.contains(where: { $0.annotations?[cosignSignature] != nil })
        {
            return .signature
        }
        if !layerTypes.isEmpty && layerTypes.allSatisfy(unsignedTypes.contains) { return .attestation }
        return .unknown
    }

    private static func isSigned(_ mediaType: String) -> Bool {
        signedTypes.contains(mediaType) || mediaType.hasPrefix("application/vnd.dev.sigstore.bundle")
    }
}

/// The annotations by which an index names a referrer's subject, pointed at the subject's new digest.
enum ReferrerRelink {
    /// `annotations` with BuildKit's `vnd.docker.reference.digest` and a cosign `sha256-<hex>.sbom` tag (and its
    /// siblings) naming `new` where they named `old`; the others as they were.
    static func annotations(_ annotations: [String: String]?, from old: Digest, to new: Digest) -> [String: String]? {
        guard var annotations else { return nil }
        if annotations[ReferrerDetector.referenceDigest] == old.description {
            annotations[ReferrerDetector.referenceDigest] = new.description
        }
        if let tag = annotations[Annotation.refName], let (hex, suffix) = ReferrerDetector.cosignTagParts(tag),
            hex == old.encoded
        {
            annotations[Annotation.refName] = ReferrerDetector.cosignTag(of: new, suffix: suffix)
        }
        return annotations
    }
}
