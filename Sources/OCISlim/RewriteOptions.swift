import OCIImage
import PythonMinimizer

import class Foundation.ProcessInfo

/// How a run works, whatever it does: shared by `rewrite` and `audit`, with the library's defaults.
public struct RunSettings: Sendable {
    /// Layers whose file data would shrink by fewer bytes are passed through unchanged (same digest).
    public var minimumLayerSaving: Int64
    /// The compression of the layers written: `keep` (default) or one codec for all.
    public var compression: OutputCompression
    /// The level of every layer written compressed; nil for each codec's default (`Compression.defaultLevel`).
    public var compressionLevel: Int32?
    /// How many layers are scanned or rewritten at once, and how many threads compress each layer.
    public var jobs: Int
    /// Follows each step of long work (a progress display); called from any task.
    public var progress: any ProgressReporter

    /// Makes settings; `jobs` defaults to the number of cores.
    public init(
        minimumLayerSaving: Int64 = 0, compression: OutputCompression = .keep, compressionLevel: Int32? = nil,
        jobs: Int? = nil, progress: any ProgressReporter = SilentProgress()
    ) {
        self.minimumLayerSaving = minimumLayerSaving
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.jobs = max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        self.progress = progress
    }
}

/// What `rewrite` is asked to do.
public struct RewriteOptions: Sendable {
    /// The input image reference (`oci:DIR[:NAME]`, `oci-archive:FILE`, `docker-archive:FILE[:NAME:TAG|@N]`, a bare
    /// path, `-`); never modified.
    public var input: String
    /// The output reference; a new path must not exist (a directory may be empty), or `oci:EXISTING:NAME`.
    public var output: String
    /// `--platform`: the platforms rewritten; the others are carried over unchanged (all when empty).
    public var platforms: [Platform] = []
    /// `--replace`: an image already named as the output reference names it (`oci:EXISTING:NAME`) is replaced.
    public var replaceExistingName = false
    /// `--reclaim-hidden`: files that upper layers hide are removed from the layers that hold them.
    public var reclaimHidden = false
    /// `--keep-layers`: this many bottom layers stay byte-identical.
    public var keepLayers = 0
    /// `--keep-layers-of`: the layers each image shares with this base image (a reference) stay byte-identical.
    public var keepLayersOf: String?
    /// The minimization strategy.
    public var strategy: Strategy
    /// What `sourceless` does besides converting modules.
    public var sourceless: SourcelessOptions
    /// `--compile-with`: a host CPython that compiles sources the image ships without bytecode (`sourceless`).
    public var compileWith: String?
    /// `--signatures`, `--attestations`, `--scan-blobs`: what becomes of the referrers of documents that change.
    public var referrers = ReferrerPolicy()
    /// How the run works.
    public var settings: RunSettings

    /// Makes options; `jobs` defaults to the number of cores.
    public init(
        input: String, output: String, strategy: Strategy, sourceless: SourcelessOptions = SourcelessOptions(),
        compileWith: String? = nil, minimumLayerSaving: Int64 = 0, compression: OutputCompression = .keep,
        compressionLevel: Int32? = nil, jobs: Int? = nil, progress: any ProgressReporter = SilentProgress()
    ) {
        self.input = input
        self.output = output
        self.strategy = strategy
        self.sourceless = sourceless
        self.compileWith = compileWith
        self.settings = RunSettings(
            minimumLayerSaving: minimumLayerSaving, compression: compression, compressionLevel: compressionLevel,
            jobs: jobs, progress: progress
        )
    }

    /// The layers' minimum saving (`settings`).
    public var minimumLayerSaving: Int64 { settings.minimumLayerSaving }
    /// The output compression (`settings`).
    public var compression: OutputCompression { settings.compression }
    /// The compression level (`settings`).
    public var compressionLevel: Int32? { settings.compressionLevel }
    /// Layers at once (`settings`).
    public var jobs: Int { settings.jobs }
}
