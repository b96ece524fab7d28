import OCIImage

/// What `rewrite` does with the referrers of a document that gets a new digest (`--signatures`, `--attestations`,
/// `--scan-blobs`). A referrer whose subject keeps its digest (an image with nothing to change) stays valid and is
/// copied as it is under every policy.
public struct ReferrerPolicy: Sendable, Equatable {
    /// What is done with signatures (and artifacts of unknown type) whose subject changes.
    public enum Signatures: String, Sendable, CaseIterable {
        /// Removed from the output; the report lists each.
        case drop
        /// Carried over unchanged, still naming the old digest, with a warning.
        case keep
        /// The run stops before any layer is read, exit status 3, naming them.
        case refuse
    }

    /// What is done with unsigned attestations whose subject changes.
    public enum Attestations: String, Sendable, CaseIterable {
        /// Pointed at the new digest: `vnd.docker.reference.digest`, the `subject` descriptor, each in-toto
        /// statement's `subject[].digest`, a cosign `.sbom` tag; the predicate is never changed.
        case relink
        /// Removed from the output.
        case drop
    }

    public var signatures: Signatures
    public var attestations: Attestations
    /// Also look for referrers among the blobs no index lists. Those carried (relinked attestations, kept
    /// signatures) are listed in the output's `index.json`, so they stay reachable.
    public var scanBlobs: Bool
    /// Why the output loses every referrer, when its format cannot hold them (set from the destination by the
    /// run): each is dropped whatever its class, and `--signatures refuse` refuses any signature.
    var outputLoss: ReferrerLoss?

    /// Makes a policy; the defaults drop signatures and relink attestations.
    public init(signatures: Signatures = .drop, attestations: Attestations = .relink, scanBlobs: Bool = false) {
        self.signatures = signatures
        self.attestations = attestations
        self.scanBlobs = scanBlobs
    }

    /// What becomes of `referrer`: dropped when the output cannot hold it; copied as it is when its subject kept
    /// its digest (or is not in the image); else as its class and the policy say.
    func action(for referrer: ReferrerNode, subjectChanged: Bool) -> ReferrerAction {
        guard outputLoss == nil else { return .dropped }
        guard subjectChanged else { return .unchanged }
        return switch referrer.referrerClass {
        case .attestation: attestations == .relink ? .relinked : .dropped
        case .signature, .unknown:
            switch signatures {
            case .drop: .dropped
            case .keep: .kept
            // `checkRefusals` stopped the run before any work when such a referrer exists.
            case .refuse: .dropped
            }
        }
    }

    /// With `--signatures refuse`, refuses the signatures (and unknown artifacts) the output would lose: all of them
    /// when it cannot hold referrers, else those whose subject may get a new digest. Decided from the graph alone,
    /// before any layer is read, so an image that turns out unchanged still counts.
    func checkRefusals(in graph: ImageGraph) throws {
        guard signatures == .refuse else { return }
        let signed = (graph.referrers + graph.looseReferrers).filter { $0.referrerClass != .attestation }
        if let outputLoss {
            guard signed.isEmpty else {
                throw ReferrerError.signaturesLost(outputLoss, signed.map(RefusedReferrer.init))
            }
            return
        }
        let refused = signed.filter { graph.mayChange($0.subject) }
        guard refused.isEmpty else { throw ReferrerError.signaturesRefused(refused.map(RefusedReferrer.init)) }
    }
}

/// An output format with no place for referrers: every referrer of its image is lost.
public struct ReferrerLoss: Sendable, Equatable, CustomStringConvertible {
    /// The format, as its transport names it (`docker-archive`).
    public let format: String

    /// Makes a loss.
    public init(format: String) { self.format = format }

    /// Why the referrers are dropped: "docker-archive cannot hold signatures or attestations".
    public var description: String { "\(format) cannot hold signatures or attestations" }
}

/// What was done with a referrer.
public enum ReferrerAction: String, Codable, Sendable {
    /// Pointed at its subject's new digest (and given a new digest itself).
    case relinked
    /// Left out of the output.
    case dropped
    /// Carried over unchanged although its subject changed: it names a digest the output no longer has.
    case kept
    /// Its subject kept its digest (or is not in the image): copied as it is, still valid.
    case unchanged
}

/// Referrers the run cannot handle as asked.
public enum ReferrerError: Error, CustomStringConvertible {
    /// `--signatures refuse` and these signatures (digest, what they sign) name documents the rewrite changes.
    case signaturesRefused([RefusedReferrer])
    /// A referrer names as its subject a document that depends on it: an index that lists it (directly or further
    /// down), or a referrer of its own (two cosign tags naming each other). Each new digest would depend on the
    /// other's.
    case subjectIsAncestor(referrer: Digest, subject: Digest)
    /// `--signatures refuse` and the output cannot hold these signatures, whether their subject changes or not.
    case signaturesLost(ReferrerLoss, [RefusedReferrer])

    public var description: String {
        switch self {
        case .signaturesRefused(let refused):
            "--signatures refuse: \(Self.count(refused)) would no longer verify: "
                + refused.map(\.description).joined(separator: ", ")
        case .signaturesLost(let loss, let refused):
            "--signatures refuse: \(loss): \(Self.count(refused)) would be lost: "
                + refused.map(\.description).joined(separator: ", ")
        case .subjectIsAncestor(let referrer, let subject):
            "manifest \(referrer) refers to \(subject), which lists it or refers back to it: a referrer cannot name "
                + "a document above it"
        }
    }

    /// "1 signature", "4 signatures".
    private static func count(_ refused: [RefusedReferrer]) -> String {
        "\(refused.count) signature\(refused.count == 1 ? "" : "s")"
    }
}

/// A signature `--signatures refuse` stopped the run for.
public struct RefusedReferrer: Sendable, Equatable {
    public let digest: Digest
    public let referrerClass: ReferrerClass
    public let subject: Digest

    /// Makes an entry.
    public init(digest: Digest, referrerClass: ReferrerClass, subject: Digest) {
        self.digest = digest
        self.referrerClass = referrerClass
        self.subject = subject
    }

    /// The entry of a referrer as read.
    init(_ referrer: ReferrerNode) {
        self.init(digest: referrer.descriptor.digest, referrerClass: referrer.referrerClass, subject: referrer.subject)
    }

    /// How the refusal names it: "sha256:… (signature of sha256:…)", or "unknown artifact" for an unknown type.
    var description: String {
        "\(digest) (\(referrerClass == .unknown ? "unknown artifact" : "signature") of \(subject))"
    }
}
