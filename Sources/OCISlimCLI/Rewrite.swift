import ArgumentParser
import Foundation
import OCISlim
import PythonMinimizer

extension OCISlimCommand {
    /// `ocislim rewrite`: the main job.
    struct Rewrite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite an image with its Python trees minimized.",
            discussion: """
                Layers with nothing to change are copied as they are (same digest). Changed layers keep their \
                compression (gzip, zstd or none) unless --compression names another, which then applies to every \
                layer. Configs get new diff_ids, manifests and indexes new digests; annotations, history and unknown \
                fields are kept. Images the input reference or --platform does not select are carried over as they \
                are.

                Examples:
                  ocislim rewrite app.tar app-slim.tar                     (a `docker save` archive, same shape out)
                  docker save app | ocislim rewrite - - | docker load
                  ocislim rewrite oci:layout:latest oci:layout:latest-slim (added to the same layout)
                  ocislim rewrite --platform linux/amd64 oci:multi out
                  ocislim rewrite --digestfile new.digests oci:signed out  (signatures dropped, re-sign new.digests)
                  ocislim rewrite --signatures refuse oci:signed out       (exit 3 if a signature would break)
                  ocislim rewrite --attestations drop --scan-blobs oci:in out

                Signatures and attestations of the images changed are found in every index (BuildKit attestation \
                manifests, OCI 1.1 referrers, cosign tags and bundles, notation) and handled by --signatures and \
                --attestations; the report lists each one and what was done. A docker-archive output has no place \
                for them (only the containerd flavor keeps its layout as it is): all are dropped, and a warning says \
                how many.

                Exit status: 0 on success; 1 when the input is invalid (the message names the file, archive member, \
                blob or tar entry; permanent: a job controller should not retry it, e.g. Kubernetes podFailurePolicy \
                FailIndex); 2 for an I/O or resource failure (disk full, I/O error, the output locked by another \
                run; retryable); 3 when --signatures refuse finds signatures the rewrite would invalidate or the \
                output cannot hold; 64 for usage errors; 130/143 when interrupted by SIGINT/SIGTERM (staging and \
                temp files are removed first, and a rerun writes the same bytes).
                """
        )

        @Option(help: "How to minimize Python trees.")
        var strategy: Strategy = .dedup

        @Option(help: ArgumentHelp("With sourceless: keep compressed sources in __pysources__, or drop them."))
        var sources: SourcesChoice = .keep

        @Flag(
            help: ArgumentHelp(
                "With sourceless: add a startup hook so tracebacks and inspect show source lines again.",
                discussion: """
                    Adds ocislim-sources.pth and _ocislim_sources.py to each site-packages directory: the sourceless \
                    loader then reads __pysources__/NAME.zpy, and on CPython 3.12 and older uncaught exceptions are \
                    printed through the traceback module. Without this flag nothing executable is added.
                    """
            )
        )
        var sourceHook = false

        @Option(
            help: ArgumentHelp(
                "With sourceless: compile sources that ship without bytecode with this host CPython.",
                discussion: "It must be the image's minor version (3.11 for /usr/lib/python3.11); one long-lived "
                    + "worker process compiles every such source that compiles; the others are kept.",
                valueName: "python"
            )
        )
        var compileWith: String?

        @Option(
            name: .customLong("keep"),
            help: ArgumentHelp(
                "With sourceless: never convert sources matching this glob (repeatable).",
                discussion: "Matched against the image path with a leading /; * stays within a directory, ** crosses "
                    + "directories, e.g. --keep '/usr/lib/python3*/**/tests/**'.",
                valueName: "glob"
            )
        )
        var keepPatterns: [String] = []

        @OptionGroup
        var layerSaving: LayerSavingOptions

        @OptionGroup(title: "Compression")
        var compression: CompressionOptions

        @Option(
            help: ArgumentHelp(
                "Also write the report as JSON to this file (- for standard output, instead of the table).",
                discussion: "The file is claimed before any work and written before the output is published: a "
                    + "report that cannot be written leaves no output.",
                valueName: "file.json"
            ))
        var report: String?

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @Option(
            help: ArgumentHelp(
                "Write the digest of every rewritten image manifest and index to this file, one a line (as "
                    + "skopeo --digestfile does).",
                discussion: "For re-signing the new images (cosign sign, notation sign); the JSON report's digestMap "
                    + "has old -> new with names. Relinked attestations are not listed (the report's referrers "
                    + "have their new digests). Claimed before any work, written before the output is published.",
                valueName: "file"
            ))
        var digestfile: String?

        @OptionGroup
        var selection: ImageSelectionOptions

        @OptionGroup(title: "Signatures and attestations")
        var referrers: ReferrerOptions

        @Flag(help: "With oci:EXISTING_DIR:NAME, replace an image already named NAME.")
        var replace = false

        @Flag(
            help: ArgumentHelp(
                "Also remove every file that upper layers hide (deleted or replaced later), from any tree.",
                discussion: "The layer count, history and what every process in the image sees stay the same; a "
                    + "whiteout that no longer hides anything goes too. `ocislim audit` shows how much this saves."
            ))
        var reclaimHidden = false

        @Option(
            help: ArgumentHelp(
                "Leave the lowest N layers byte-identical (a shared base).", valueName: "n"))
        var keepLayers = 0

        @Option(
            help: ArgumentHelp(
                "Leave byte-identical the layers each image shares with this base image.",
                discussion: "A reference such as oci:base:bookworm; layers count as shared while their diff IDs "
                    + "match from the bottom. Rewriting a shared base layer gives it a new digest in every image, "
                    + "so images built on that base stop sharing it.",
                valueName: "reference"
            ))
        var keepLayersOf: String?

        @OptionGroup(title: "Layer cache")
        var cacheOptions: CacheOptions

        @OptionGroup
        var runOptions: RunOptions

        @Argument(help: ReferenceHelp.input)
        var input: String

        @Argument(help: ReferenceHelp.output)
        var output: String

        func validate() throws {
            if strategy != .sourceless
                && (sources != .keep || sourceHook || !keepPatterns.isEmpty || compileWith != nil)
            {
                throw ValidationError(
                    "--sources, --source-hook, --keep and --compile-with apply to --strategy sourceless only."
                )
            }
            let (input, output) = try references
            // Compared as absolute paths with `.`, `..` and any trailing slash gone, so `in` and `./in/` are one.
            // The one exception: a new name in the input's own layout (`oci:DIR:NAME`).
            let sameNamedLayout = output.transport == .oci && output.selector != .all
            if !input.isStandardStream && !sameNamedLayout
                && URL(fileURLWithPath: input.path).standardizedFileURL.path
                    == URL(fileURLWithPath: output.path).standardizedFileURL.path
            {
                throw ValidationError("input and output must be different paths.")
            }
            if case .position = output.selector {
                throw ValidationError("an output reference names its image (NAME or NAME:TAG), not a position.")
            }
            if output.isStandardStream && (json || report == "-") {
                throw ValidationError("the archive goes to standard output: write the report with --report FILE.")
            }
            if keepLayers < 0 { throw ValidationError("--keep-layers cannot be negative.") }
            if replace && (output.transport != .oci || output.selector == .all) {
                throw ValidationError("--replace applies to an output oci:DIR:NAME only.")
            }
        }

        /// The input and output references, parsed.
        var references: (ImageReference, ImageReference) {
            get throws {
                do {
                    return (try ImageReference(parsing: input), try ImageReference(parsing: output))
                } catch let error as ReferenceError {
                    throw ValidationError(error.description)
                }
            }
        }

        /// The configuration the pipeline is given.
        var options: RewriteOptions {
            var options = RewriteOptions(
                input: input, output: output, strategy: strategy,
                sourceless: SourcelessOptions(
                    keepSources: sources == .keep, sourceHook: sourceHook, keepPatterns: keepPatterns
                ),
                compileWith: compileWith, minimumLayerSaving: layerSaving.minLayerSaving,
                compression: compression.output, compressionLevel: compression.compressionLevel,
                jobs: runOptions.jobs, progress: runOptions.reporter
            )
            options.platforms = selection.platforms
            options.replaceExistingName = replace
            options.reclaimHidden = reclaimHidden
            options.keepLayers = keepLayers
            options.keepLayersOf = keepLayersOf
            options.settings.cache = cacheOptions.settings
            options.referrers = referrers.policy
            return options
        }

        func run() async throws {
            Interruption.removeStagingOnSignals()
            let destination: ReportDestination?
            let digests: ReportFile?
            do {
                destination = try ReportDestination.claim(report)
                digests = try digestfile.map { try ReportFile(path: $0) }
            } catch let error as ReportError {
                StandardError.write(PipelineRun.errorLine(error) + "\n")
                throw ExitCode(error.exitCode)
            }
            // From the output's publishing to the report's, a signal waits (`PublishingGate`); a failure ends it
            // before its message is printed.
            var result = try await PipelineRun.result {
                do {
                    return try await ImageRewriter(options: options).run(beforePublishing: { report in
                        var report = report
                        report.tool = OCISlimCommand.tool
                        if case .file(let file) = destination { try file.write(Array(try PipelineRun.json(report))) }
                        try digests?.write(Array(report.digestMap.map { "\($0.new)\n" }.joined().utf8))
                        Interruption.publishing.begin()
                    })
                } catch {
                    Interruption.publishing.end(completed: false)
                    throw error
                }
            }
            result.tool = OCISlimCommand.tool
            do {
                if case .file(let file) = destination { try file.publish() }
                try digests?.publish()
            } catch let error as ReportError {
                Interruption.publishing.end(completed: false)
                StandardError.write(PipelineRun.errorLine(error) + "\n")
                throw ExitCode(error.exitCode)
            }
            Interruption.publishing.end(completed: true)
            if (try? references)?.1.isStandardStream == true {
                // Standard output carries the archive: the table goes to standard error.
                if !runOptions.quiet {
                    StandardError.write(result.renderTable(width: Terminal.tableWidth(of: STDERR_FILENO)) + "\n")
                }
            } else if json || destination.map({ if case .standardOutput = $0 { true } else { false } }) == true {
                print(String(decoding: try PipelineRun.json(result), as: UTF8.self))
            } else {
                print(result.renderTable(width: Terminal.tableWidth(of: STDOUT_FILENO)))
            }
        }
    }
}

/// What `sourceless` does with the sources it replaces.
enum SourcesChoice: String, ExpressibleByArgument, CaseIterable {
    case keep, drop
}
