import ByteIO
import Hashing
import OCIImage

/// The blobs an archive source serves, by digest: documents the source made from `manifest.json` (in memory),
/// members it found under another name (`<v1id>/layer.tar`, `<hex>.tar`, `sha256:<hex>`), and, in archives of an
/// OCI layout, the members `blobs/<algorithm>/<hex>`. Every blob is verified against its descriptor as it is read.
struct ArchiveBlobs: Sendable {
    /// A layer whose digest only its config claims (a legacy `<v1id>/layer.tar`): a mismatch names the member and
    /// the config.
    struct ClaimedDigest: Sendable, Equatable {
        /// The member that `manifest.json` lists.
        let member: String
        /// The config member and the position in its `diff_ids`.
        let config: String
        let position: Int
    }

    let archive: ArchiveIndex
    /// Documents made by the source, served from memory.
    var documents: [Digest: [UInt8]] = [:]
    /// Members found under names other than their digest.
    var named: [Digest: String] = [:]
    /// Layers whose digest comes from their config's `diff_ids`, checked as they are read.
    var claimed: [Digest: ClaimedDigest] = [:]
    /// Whether `blobs/<algorithm>/<hex>` members are blobs (an archive of an OCI layout).
    let hasLayoutBlobs: Bool

    /// The member name a blob is stored under.
    func memberName(_ digest: Digest) -> String {
        named[digest] ?? "blobs/\(digest.algorithm)/\(digest.encoded)"
    }

    /// The regular file member holding a blob, if there is one.
    func member(_ digest: Digest) throws -> ArchiveIndex.Member? {
        guard named[digest] != nil || hasLayoutBlobs else { return nil }
        guard let member = try archive.resolve(memberName(digest)), member.kind == .file else { return nil }
        return member
    }

    func contains(_ digest: Digest) -> Bool {
        if documents[digest] != nil { return true }
        return (try? member(digest)) != nil
    }

    func location(_ digest: Digest) -> String {
        if documents[digest] != nil { return "\(archive.path): the index made from manifest.json" }
        return "\(archive.path): \(memberName(digest))"
    }

    func open(_ descriptor: Descriptor) throws -> VerifyingBlobSource {
        if let bytes = documents[descriptor.digest] {
            return try VerifyingBlobSource(file: MemorySource(bytes), descriptor: descriptor)
        }
        guard let member = try member(descriptor.digest) else {
            throw OCIError.missingBlob(descriptor.digest, path: location(descriptor.digest))
        }
        let bytes: ByteSource = try archive.open(member)
        guard let claim = claimed[descriptor.digest] else {
            return try VerifyingBlobSource(file: bytes, descriptor: descriptor)
        }
        let checked = try ClaimCheckingSource(
            upstream: bytes, claimed: descriptor.digest, claim: claim, archive: archive.path)
        return try VerifyingBlobSource(file: checked, descriptor: descriptor)
    }

    /// Reads a small member whole (a document) and hashes it.
    func document(_ member: ArchiveIndex.Member) throws -> (bytes: [UInt8], digest: Digest) {
        let bytes = try archive.document(member, limit: ImageLayout.documentLimit)
        return (bytes, Digest(sha256Hex: try SHA256Hasher.hash(bytes).hexString))
    }

    /// The sha256 of a member, read once.
    func hash(_ member: ArchiveIndex.Member) throws -> Digest {
        let sink = try HashingSink()
        try archive.open(member).copy(to: sink)
        return Digest(sha256Hex: try sink.hexDigest())
    }
}

/// Hashes a layer whose digest only its config's `diff_ids` claims, so a mismatch says which member and which config
/// disagree (the verifier around it would name only the digest). It sees the end of the stream first and throws
/// there.
final class ClaimCheckingSource: ByteSource {
    private let upstream: ByteSource
    private let hasher: SHA256Hasher
    private let claimed: Digest
    private let claim: ArchiveBlobs.ClaimedDigest
    private let archive: String
    private var checked = false

    init(upstream: ByteSource, claimed: Digest, claim: ArchiveBlobs.ClaimedDigest, archive: String) throws {
        self.upstream = upstream
        self.claimed = claimed
        self.claim = claim
        self.archive = archive
        hasher = try SHA256Hasher()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try upstream.read(into: buffer)
        guard count > 0 else {
            guard !checked else { return 0 }
            let actual = try hasher.finalizeHex()
            guard actual == claimed.encoded else {
                throw ArchiveError.invalid(
                    path: archive, member: claim.member,
                    reason: "its content hashes to sha256:\(actual), but its config \(claim.config) says "
                        + "diff_ids[\(claim.position)] is \(claimed)")
            }
            checked = true
            return 0
        }
        try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        return count
    }
}

@available(*, unavailable)
extension ClaimCheckingSource: Sendable {}
