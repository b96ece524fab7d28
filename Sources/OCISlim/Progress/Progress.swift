import OCIImage

/// One step of long work a progress display follows: scanning a layer, rewriting it, copying it, auditing a
/// strategy. Steps that read a blob carry its size, and the bytes read so far arrive as the blob is read.
public struct ProgressStep: Hashable, Sendable {
    /// What the step does: `scan`, `rewrite`, `recompress`, `copy`, `audit`.
    public let verb: String
    /// What it works on: a layer's short digest, a strategy's name.
    public let subject: String
    /// The blob the step reads, whose bytes measure it; nil for a step without one.
    public let blob: Digest?
    /// The blob's size, when there is one.
    public let totalBytes: Int64?

    /// Makes a step.
    public init(verb: String, subject: String, blob: Digest? = nil, totalBytes: Int64? = nil) {
        self.verb = verb
        self.subject = subject
        self.blob = blob
        self.totalBytes = totalBytes
    }

    /// A step that reads the blob `descriptor` names.
    init(_ verb: String, _ descriptor: Descriptor) {
        self.init(verb: verb, subject: descriptor.digest.short, blob: descriptor.digest, totalBytes: descriptor.size)
    }
}

/// Where the pipeline reports progress. Called from any task; implementations synchronise themselves.
public protocol ProgressReporter: Sendable {
    /// A step starts.
    func started(_ step: ProgressStep)
    /// `bytes` of the blob `blob` have been read so far, by whichever step reads it.
    func read(_ bytes: Int64, of blob: Digest)
    /// A step ends (also when it fails).
    func finished(_ step: ProgressStep)
}

/// Reports nothing: the library's default, and `--progress none`.
public struct SilentProgress: ProgressReporter {
    /// Makes the reporter.
    public init() {}
    public func started(_ step: ProgressStep) {}
    public func read(_ bytes: Int64, of blob: Digest) {}
    public func finished(_ step: ProgressStep) {}
}

extension ProgressReporter {
    /// Runs `body` as `step`: started before, finished after, whether it returns or throws.
    func run<Result>(_ step: ProgressStep, _ body: () throws -> Result) rethrows -> Result {
        started(step)
        defer { finished(step) }
        return try body()
    }
}

/// A source whose blobs report the bytes read from them to a progress reporter, so every stage that reads a blob
/// shows how far it got without knowing about progress.
struct ObservedImageSource: ImageSource {
    let inner: any ImageSource
    let progress: any ProgressReporter

    var name: String { inner.name }
    var shape: ImageShape { inner.shape }
    var indexName: String { inner.indexName }
    var allowsAbsentManifests: Bool { inner.allowsAbsentManifests }
    func indexBytes() throws -> [UInt8] { try inner.indexBytes() }
    func layoutMarkerBytes() throws -> [UInt8] { try inner.layoutMarkerBytes() }
    func hasBlob(_ digest: Digest) -> Bool { inner.hasBlob(digest) }
    func blobLocation(_ digest: Digest) -> String { inner.blobLocation(digest) }
    func names(of entry: Descriptor) -> [String] { inner.names(of: entry) }
    func storedBlobs() throws -> [StoredBlob] { try inner.storedBlobs() }
    func entries(atPosition position: Int, of index: ImageIndex) -> [Int] {
        inner.entries(atPosition: position, of: index)
    }

    func openBlob(_ descriptor: Descriptor) throws -> VerifyingBlobSource {
        let blob = try inner.openBlob(descriptor)
        let progress = progress
        let digest = descriptor.digest
        blob.observer = { progress.read($0, of: digest) }
        return blob
    }
}
