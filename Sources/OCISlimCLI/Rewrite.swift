import ArgumentParser
import Foundation
import OCISlim
import PythonMinimizer

extension OCISlimCommand {
    /// `ocislim rewrite`: the main job.
    struct Rewrite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite an OCI image layout with its Python trees minimized.",
            discussion: """
                Layers with nothing to change are copied as they are (same digest). Changed layers keep their \
                compression (gzip, zstd or none) unless --compression names another, which then applies to every \
                layer. Configs get new diff_ids, manifests and indexes new digests; annotations, history and unknown \
                fields are kept.

                Exit status: 0 on success, 1 when the input is invalid or the rewrite fails (the message names the \
                file, blob or tar entry), 64 for usage errors.
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

        @OptionGroup
        var runOptions: RunOptions

        @Argument(help: ArgumentHelp("The input OCI image layout directory.", valueName: "input"))
        var input: String

        @Argument(help: ArgumentHelp("The output directory; must not exist or be empty.", valueName: "output"))
        var output: String

        func validate() throws {
            if strategy != .sourceless
                && (sources != .keep || sourceHook || !keepPatterns.isEmpty || compileWith != nil)
            {
                throw ValidationError(
                    "--sources, --source-hook, --keep and --compile-with apply to --strategy sourceless only."
                )
            }
            // Compared as absolute paths with `.`, `..` and any trailing slash gone, so `in` and `./in/` are one.
            if URL(fileURLWithPath: input).standardizedFileURL.path
                == URL(fileURLWithPath: output).standardizedFileURL.path
            {
                throw ValidationError("input and output must be different directories.")
            }
        }

        /// The configuration the pipeline is given.
        var options: RewriteOptions {
            RewriteOptions(
                input: input, output: output, strategy: strategy,
                sourceless: SourcelessOptions(
                    keepSources: sources == .keep, sourceHook: sourceHook, keepPatterns: keepPatterns
                ),
                compileWith: compileWith, minimumLayerSaving: layerSaving.minLayerSaving,
                compression: compression.output, compressionLevel: compression.compressionLevel,
                jobs: runOptions.jobs, progress: runOptions.progress
            )
        }

        func run() async throws {
            Interruption.removeStagingOnSignals()
            let destination: ReportDestination?
            do {
                destination = try ReportDestination.claim(report)
            } catch let error as ReportError {
                StandardError.write(PipelineRun.errorLine(error) + "\n")
                throw ExitCode(error.exitCode)
            }
            var result = try await PipelineRun.result {
                try await ImageRewriter(options: options).run(beforePublishing: { report in
                    var report = report
                    report.tool = OCISlimCommand.tool
                    if case .file(let file) = destination { try file.write(Array(try PipelineRun.json(report))) }
                })
            }
            result.tool = OCISlimCommand.tool
            if case .file(let file) = destination {
                do {
                    try file.publish()
                } catch let error as ReportError {
                    StandardError.write(PipelineRun.errorLine(error) + "\n")
                    throw ExitCode(error.exitCode)
                }
            }
            if json || destination.map({ if case .standardOutput = $0 { true } else { false } }) == true {
                print(String(decoding: try PipelineRun.json(result), as: UTF8.self))
            } else {
                print(result.renderTable())
            }
        }
    }
}

/// What `sourceless` does with the sources it replaces.
enum SourcesChoice: String, ExpressibleByArgument, CaseIterable {
    case keep, drop
}
