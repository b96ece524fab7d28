import ArgumentParser
import Foundation
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

        @Option(help: ArgumentHelp("As for rewrite: layers saving less are left unchanged.", valueName: "bytes"))
        var minLayerSaving: Int64 = 64 * 1024

        @OptionGroup(title: "Compression")
        var compression: CompressionOptions

        @OptionGroup
        var runOptions: RunOptions

        @Argument(help: ArgumentHelp("The OCI image layout directory to audit.", valueName: "input"))
        var input: String

        func run() async throws {
            let auditor = ImageAuditor(
                input: input, minimumLayerSaving: minLayerSaving, compression: compression.output,
                compressionLevel: compression.compressionLevel, jobs: runOptions.jobs, progress: runOptions.progress
            )
            let report: AuditReport
            do {
                report = try await auditor.run()
            } catch {
                StandardError.write("ocislim: error: \(error)\n")
                throw ExitCode(FailureKind(error).exitStatus)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.renderTable())
            }
        }
    }
}
