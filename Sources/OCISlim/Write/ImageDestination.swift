import ByteIO
import Foundation
import ImageArchive
import OCIImage

/// Where a rewrite's result goes: a new layout directory, an archive file, standard output, or an existing layout
/// under a new name. Every destination stages blobs in a layout blob store; `publish` makes the result appear
/// whole, or not at all, and `discard` removes everything a failed run staged.
protocol ImageDestination: AnyObject, Sendable {
    /// Where the rewrite stores blobs.
    var blobs: LayoutBlobStore { get }
    /// Why the output loses every referrer (signatures, attestations), when its format has no place for them; nil
    /// when it holds them as `index.json` lists them.
    var referrerLoss: ReferrerLoss? { get }
    /// Makes the finished output appear.
    func publish(_ output: FinishedOutput) throws
    /// Removes what a failed or interrupted run staged.
    func discard()
}

/// Everything a destination needs once the documents are written.
struct FinishedOutput: Sendable {
    /// The new `index.json` of the images written (only the selected ones when the input selects some).
    let indexBytes: [UInt8]
    /// The `oci-layout` bytes of the input (or the standard ones).
    let layoutMarker: [UInt8]
    /// The documents written, image by image.
    let documents: WrittenDocuments
    /// The input, for names the output keeps (`RepoTags`).
    let source: any ImageSource

    /// The digests of the referrers written (those `indexBytes` lists are among them): an output name does not
    /// name them.
    var referrerDigests: Set<Digest> { Set(documents.referrers.compactMap(\.written?.digest)) }
}

/// What the output reference asks of the images written.
struct OutputNaming: Sendable {
    /// The name to give the image written (`oci:DIR:NAME`, `docker-archive:FILE:NAME:TAG`), if any.
    let name: String?

    init(_ reference: ImageReference) { name = if case .name(let name) = reference.selector { name } else { nil } }

    init(name: String?) { self.name = name }

    /// Refuses a name for more than one image before any work starts; `imageCount` counts the entries of
    /// `index.json` other than referrers (`ImageGraph.listedImages`), which keep their own names.
    func check(imageCount: Int, output: ImageReference) throws {
        guard name != nil, imageCount > 1 else { return }
        throw ReferenceError.nameNeedsOneImage(reference: output.description, count: imageCount)
    }

    /// `index.json` with the name applied to its entries other than `referrers` (a cosign tag keeps its own name,
    /// an OCI referrer its own annotations). A `docker save` archive names images as containerd and Docker 25+ do:
    /// the tag alone in `org.opencontainers.image.ref.name`, the full name in `io.containerd.image.name` (which
    /// `ctr images import` tags the image with).
    func apply(to indexBytes: [UInt8], shape: ImageShape = .layout, referrers: Set<Digest> = []) throws -> [UInt8] {
        guard let name else { return indexBytes }
        guard case .dockerArchive = shape else {
            return try DocumentPatcher.index(indexBytes, naming: name, except: referrers, what: "index.json")
        }
        let full = DockerNames.normalized(name)
        let tag = DockerNames.tag(of: full)
        return try DocumentPatcher.index(
            indexBytes, naming: tag, fullName: full, except: referrers, what: "index.json")
    }

    /// Each image written, as an archive lists it, named as the output reference says or as the input named it.
    func archiveImages(_ output: FinishedOutput) -> [ArchiveImage] {
        output.documents.images.map { written in
            let tags = name.map { [$0] } ?? Self.repoTags(of: written, in: output.source)
            return ArchiveImage(
                manifest: written.manifest, config: written.config, layers: written.layers, repoTags: tags)
        }
    }

    private static func repoTags(of written: WrittenImage, in source: any ImageSource) -> [String] {
        if let archive = source as? any ArchiveSource {
            return archive.repoTags(ofManifest: written.image.descriptor.digest)
        }
        return []
    }
}

/// A new OCI layout directory.
final class LayoutDestination: ImageDestination {
    private let layout: OutputLayout
    private let naming: OutputNaming

    init(path: String, naming: OutputNaming, input: String) throws {
        layout = try OutputLayout(path: path, input: input)
        self.naming = naming
    }

    var blobs: LayoutBlobStore { layout.blobs }

    var referrerLoss: ReferrerLoss? { nil }

    func publish(_ output: FinishedOutput) throws {
        try layout.writeFile("oci-layout", output.layoutMarker)
        try layout.writeFile("index.json", try naming.apply(to: output.indexBytes, referrers: output.referrerDigests))
        try layout.publish()
    }

    func discard() { layout.discard() }
}

/// An archive file (`oci-archive:`, `docker-archive:`), or standard output: the layout is staged beside the target
/// (in `TMPDIR` for standard output) and written as an archive once everything is known to be good.
final class ArchiveDestination: ImageDestination {
    private let layout: OutputLayout
    private let naming: OutputNaming
    private let shape: ImageShape
    /// The temporary directory holding the staging layout when the archive goes to standard output.
    private let temporaryDirectory: String?

    init(path: String, shape: ImageShape, naming: OutputNaming, input: String) throws {
        self.shape = shape
        self.naming = naming
        if path == "-" {
            let directory = try TemporaryDirectory.make(prefix: "ocislim-out")
            temporaryDirectory = directory
            do {
                layout = try OutputLayout(path: directory + "/out", input: input)
            } catch {
                try? Directory.removeTree(directory)
                throw error
            }
        } else {
            temporaryDirectory = nil
            layout = try OutputLayout(path: path, input: input)
        }
    }

    var blobs: LayoutBlobStore { layout.blobs }

    /// A `docker save` archive lists images alone (`manifest.json`); only containerd's keeps its layout as it is.
    var referrerLoss: ReferrerLoss? {
        shape.holdsReferrers ? nil : ReferrerLoss(format: ImageReference.Transport.dockerArchive.rawValue)
    }

    func publish(_ output: FinishedOutput) throws {
        try layout.writeFile("oci-layout", output.layoutMarker)
        try layout.writeFile(
            "index.json", try naming.apply(to: output.indexBytes, shape: shape, referrers: output.referrerDigests))
        let staged = try ImageLayout(path: layout.stagingPath)
        let images = naming.archiveImages(output)
        if temporaryDirectory != nil {
            let standardOutput = StandardOutputSink()
            try ImageArchives.write(layout: staged, images: images, shape: shape, to: standardOutput)
            try standardOutput.finish()
            discard()
        } else {
            try layout.publishArchive { sink in
                try ImageArchives.write(layout: staged, images: images, shape: shape, to: sink)
            }
        }
    }

    func discard() {
        layout.discard()
        if let temporaryDirectory {
            StagingRegistry.shared.remove(temporaryDirectory)
            try? Directory.removeTree(temporaryDirectory)
        }
    }
}

/// Private temporary directories under `TMPDIR`, removed on interruption.
package enum TemporaryDirectory {
    /// Makes a private (0700) directory `TMPDIR/PREFIX.XXXXXX`, registered for removal on interruption.
    package static func make(prefix: String) throws -> String {
        try make(prefix: prefix, in: ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Makes a private (0700) directory `BASE/PREFIX.XXXXXX` (`/tmp` when `base` is nil), registered for removal on
    /// interruption.
    package static func make(prefix: String, in base: String?) throws -> String {
        let base = base ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        guard let made else { throw OCIError.output(path: base, reason: ByteIOError.reason(errno)) }
        StagingRegistry.shared.add(temporary: made)
        return made
    }
}

/// An existing layout that receives the rewritten image under a new name (`oci:DIR:NAME`, as `umoci repack` and
/// `regctl --create` do): blobs are added beside the ones it has, each appearing atomically under its digest, and
/// `index.json` is replaced atomically while the run holds an advisory lock on the layout directory, so concurrent
/// writers to one layout each add their image and lose none. The layout's other images are never touched.
final class ExistingLayoutDestination: ImageDestination {
    let path: String
    let name: String
    let replace: Bool
    let blobs: LayoutBlobStore

    /// Checks the layout and that `name` is free (or `replace`), before any work.
    init(path: String, name: String, replace: Bool) throws {
        self.path = path
        self.name = name
        self.replace = replace
        let layout = try ImageLayout(path: path)
        try Self.checkName(name, in: try layout.indexBytes(), layout: path, replace: replace)
        blobs = try LayoutBlobStore(layoutPath: path)
    }

    var referrerLoss: ReferrerLoss? { nil }

    /// Adds the image under `name` and the referrers carried with it under their own names (or none): an entry of
    /// the layout with the same name, or the same as one added, is replaced.
    func publish(_ output: FinishedOutput) throws {
        let referrers = output.referrerDigests
        let named = try OutputNaming(name: name).apply(to: output.indexBytes, referrers: referrers)
        let entries = try JSONValue.parse(named, what: "index.json")["manifests"]?.arrayValue ?? []
        let images = entries.filter { entry in
            !referrers.contains { $0.description == entry["digest"]?.stringValue }
        }
        guard images.count == 1 else {
            throw ReferenceError.nameNeedsOneImage(reference: "oci:\(path):\(name)", count: images.count)
        }
        let names = Set(entries.compactMap { $0["annotations"]?[Annotation.refName]?.stringValue })
        try Directory.sync(blobs.directory)
        let lock = try LayoutLock(path: path)
        defer { lock.release() }
        let layout = try ImageLayout(path: path)
        let current = try layout.indexBytes()
        try Self.checkName(name, in: current, layout: path, replace: replace)
        var document = try JSONValue.parse(current, what: layout.indexName)
        let kept = (document["manifests"]?.arrayValue ?? []).filter { entry in
            !entries.contains(entry)
                && !(entry["annotations"]?[Annotation.refName]?.stringValue.map(names.contains) ?? false)
        }
        document["manifests"] = .array(kept + entries)
        try Self.replaceFile(path + "/index.json", with: try document.encoded())
    }

    /// Blobs already added stay: they are named by their content, and a concurrent run may be using the same ones.
    func discard() {}

    private static func checkName(_ name: String, in indexBytes: [UInt8], layout: String, replace: Bool) throws {
        guard !replace else { return }
        let index = try ImageIndex.read(indexBytes, listedAs: nil, what: "\(layout)/index.json")
        if index.manifests.contains(where: { $0.referenceName == name }) {
            throw DestinationError.nameTaken(layout: layout, name: name)
        }
    }

    /// Writes `bytes` to a temp file beside `target`, flushes it and renames it over `target`, durably.
    private static func replaceFile(_ target: String, with bytes: [UInt8]) throws {
        let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        let temporary = "\(directory)/.index.json.ocislim-\(getpid())"
        unlink(temporary)
        let file = try FileSink(creating: temporary)
        do {
            try bytes.withUnsafeBytes { try file.write($0) }
            try file.finish()
            guard rename(temporary, target) == 0 else {
                throw OCIError.output(path: target, reason: ByteIOError.reason(errno))
            }
        } catch {
            unlink(temporary)
            throw error
        }
        try Directory.sync(directory)
    }
}

/// An exclusive advisory lock (`flock`) on a layout directory, waited for: writers to one layout take turns.
struct LayoutLock {
    private let descriptor: Int32

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw OCIError.output(path: path, reason: ByteIOError.reason(errno)) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(descriptor)
                throw OCIError.output(path: path, reason: ByteIOError.reason(code))
            }
        }
        self.descriptor = descriptor
    }

    func release() { close(descriptor) }
}

/// A destination that cannot take the image as asked.
enum DestinationError: Error, Equatable, CustomStringConvertible {
    case nameTaken(layout: String, name: String)

    var description: String {
        switch self {
        case .nameTaken(let layout, let name):
            "\(layout) already has an image named \"\(name)\"; use --replace to replace it, or choose another name"
        }
    }
}
