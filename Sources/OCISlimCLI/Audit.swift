import ArgumentParser
import OCISlim
import PythonMinimizer

#if canImport(Glibc)
    import Glibc
#endif

extension OCISlimCommand {
    /// `ocislim audit`: what each strategy would save, writing nothing.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how much each strategy would save on an image, without writing anything.",
            discussion: """
                Scans every layer once, then runs the real rewrite of every strategy into a store that keeps \
                nothing, so the sizes are exactly those `ocislim rewrite` would write: bytes saved uncompressed and \
                compressed, files removed, added, hardlinked and converted, per layer and in total. With \
                --compression, every strategy's layers are written that way: `--compression zstd` shows what zstd \
                would save on top of each strategy. The reclaim-hidden row is what --reclaim-hidden alone would \
                remove: files upper layers delete or replace, which every pull still downloads.

                As a CI gate:
                  ocislim audit --strategy drop-bytecode --fail-if-saving-over 5% --fail-if-hidden-over 20MB IMAGE

                Exit status: 0 done, 1 invalid input (permanent), 2 I/O or resource failure (retryable), 4 a \
                --fail-if limit exceeded (one line per limit says by how much), 64 usage, 130/143 interrupted by \
                SIGINT/SIGTERM.
                """
        )

        @Flag(help: "Print the report as JSON instead of a table.")
        var json = false

        @Option(
            name: .customLong("strategy"),
            help: ArgumentHelp(
                "Audit only this strategy (repeatable; default: every strategy and reclaim-hidden).",
                valueName: "strategy"
            )
        )
        var strategies: [Strategy] = []

        @Option(
            help: ArgumentHelp(
                "Also write the report as JSON to this file (- for standard output, instead of the table).",
                valueName: "file.json"
            ))
        var report: String?

        @Option(
            help: ArgumentHelp(
                "Exit 4 if a strategy would shrink the image by more than this.",
                discussion: "Compressed bytes (what a pull downloads), e.g. 20MB, 512KiB, or a share of the "
                    + "compressed image, e.g. 5%. With several strategies, the one that saves most counts.",
                valueName: "size|percent"
            ))
        var failIfSavingOver: SizeLimit?

        @Option(
            help: ArgumentHelp(
                "Exit 4 if upper layers hide more than this much of lower layers' file data.",
                discussion: "Bytes of files deleted or replaced by a later layer (what --reclaim-hidden removes), "
                    + "e.g. 20MB, or a share of the uncompressed image, e.g. 10%.",
                valueName: "size|percent"
            ))
        var failIfHiddenOver: SizeLimit?

        @OptionGroup
        var layerSaving: LayerSavingOptions

        @OptionGroup(title: "Compression")
        var compression: CompressionOptions

        @OptionGroup
        var selection: ImageSelectionOptions

        @OptionGroup(title: "Layer cache")
        var cacheOptions: CacheOptions

        @OptionGroup
        var runOptions: RunOptions

        @Argument(help: ReferenceHelp.input)
        var input: String

        func validate() throws {
            do {
                _ = try ImageReference(parsing: input)
            } catch let error as ReferenceError {
                throw ValidationError(error.description)
            }
            if json && report == "-" { throw ValidationError("--json and --report - both print JSON; use one.") }
        }

        /// The gate the options set.
        var gate: AuditGate { AuditGate(savingLimit: failIfSavingOver, hiddenLimit: failIfHiddenOver) }

        /// The variants audited: the strategies asked for (sourceless with its sources kept and dropped), and the
        /// hidden files when every strategy is audited or the gate needs them.
        var variants: [StrategyVariant] {
            guard !strategies.isEmpty else { return ImageAuditor.allVariants }
            let chosen = ImageAuditor.strategyVariants.filter { variant in
                strategies.contains { $0 == variant.strategy }
            }
            return chosen + (gate.needsHiddenFiles ? [.hiddenFiles] : [])
        }

        /// The auditor the arguments describe.
        var auditor: ImageAuditor {
            ImageAuditor(
                input: input, platforms: selection.platforms, variants: variants,
                minimumLayerSaving: layerSaving.minLayerSaving,
                compression: compression.output,
                compressionLevel: compression.compressionLevel, jobs: runOptions.jobs, progress: runOptions.reporter,
                cache: cacheOptions.settings
            )
        }

        func run() async throws {
            // An interrupted audit leaves neither its report's temp file nor standard input spilled to TMPDIR.
            Interruption.removeStagingOnSignals()
            let destination: ReportDestination?
            do {
                destination = try ReportDestination.claim(report)
            } catch let error as ReportError {
                StandardError.write(PipelineRun.errorLine(error) + "\n")
                throw ExitCode(error.exitCode)
            }
            var result = try await PipelineRun.result { try await auditor.run() }
            result.tool = OCISlimCommand.tool
            if case .file(let file) = destination {
                do {
                    try file.write(Array(try PipelineRun.json(result)))
                    try file.publish()
                } catch let error as ReportError {
                    StandardError.write(PipelineRun.errorLine(error) + "\n")
                    throw ExitCode(error.exitCode)
                }
            }
            if json || destination.map({ if case .standardOutput = $0 { true } else { false } }) == true {
                print(String(decoding: try PipelineRun.json(result), as: UTF8.self))
            } else {
                print(result.renderTable(width: Terminal.tableWidth(of: STDOUT_FILENO)))
            }
            let violations = gate.violations(of: result)
            guard violations.isEmpty else {
                for violation in violations { StandardError.write("Error: \(violation)\n") }
                throw ExitCode(4)
            }
        }
    }
}

extension SizeLimit: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
