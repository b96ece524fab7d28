import ArgumentParser
import OCISlim

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
                would save on top of each strategy.
                """
        )

        @Flag(help: "Print the report as JSON instead of a table.")
        var json = false

        @OptionGroup
        var layerSaving: LayerSavingOptions

        @OptionGroup(title: "Compression")
        var compression: CompressionOptions

        @OptionGroup
        var selection: ImageSelectionOptions

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
        }

        /// The auditor the arguments describe.
        var auditor: ImageAuditor {
            ImageAuditor(
                input: input, platforms: selection.platforms, minimumLayerSaving: layerSaving.minLayerSaving,
                compression: compression.output,
                compressionLevel: compression.compressionLevel, jobs: runOptions.jobs, progress: runOptions.progress
            )
        }

        func run() async throws {
            var report = try await PipelineRun.result { try await auditor.run() }
            report.tool = OCISlimCommand.tool
            if json {
                print(String(decoding: try PipelineRun.json(report), as: UTF8.self))
            } else {
                print(report.renderTable())
            }
        }
    }
}
