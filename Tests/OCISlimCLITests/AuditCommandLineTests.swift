import OCISlim
import Testing

@testable import OCISlimCLI

/// `ocislim audit`: every option parses into the auditor the pipeline gets, and the rules it shares with `rewrite`
/// refuse the same command lines with the same messages. Nothing runs.
@Suite struct AuditCommandLineTests {
    // MARK: What parses

    @Test func defaults() throws {
        let command = try CommandLine.audit(["in"])
        #expect(!command.json)
        #expect(!command.runOptions.quiet)
        let auditor = command.auditor
        #expect(auditor.input == "in")
        #expect(auditor.variants == ImageAuditor.allVariants)
        #expect(auditor.settings.minimumLayerSaving == 64 * 1024)
        #expect(auditor.settings.compression == .keep)
        #expect(auditor.settings.compressionLevel == nil)
        #expect(auditor.settings.jobs == RunSettings().jobs)
    }

    @Test func everyOption() throws {
        let command = try CommandLine.audit([
            "--json", "--min-layer-saving", "0", "--compression", "zstd", "--compression-level", "19", "--jobs", "2",
            "-q", "in",
        ])
        #expect(command.json)
        #expect(command.runOptions.quiet)
        let auditor = command.auditor
        #expect(auditor.settings.minimumLayerSaving == 0)
        #expect(auditor.settings.compression == .codec(.zstd))
        #expect(auditor.settings.compressionLevel == 19)
        #expect(auditor.settings.jobs == 2)
    }

    // MARK: What is refused, as by rewrite

    @Test func negativeMinLayerSaving() {
        CommandLine.expectUsageError(
            ["audit", "--min-layer-saving=-1", "in"], "--min-layer-saving cannot be negative.")
    }

    @Test func jobsBelowOne() {
        CommandLine.expectUsageError(["audit", "--jobs", "0", "in"], "--jobs must be at least 1.")
    }

    @Test func compressionLevelTheCodecRefuses() {
        CommandLine.expectUsageError(
            ["audit", "--compression", "gzip", "--compression-level", "13", "in"],
            "compression level 13 is not a gzip level (1 to 12)."
        )
    }

    // MARK: What is refused because only rewrite takes it

    @Test(
        arguments: [
            (["--reclaim-hidden"], "Unknown option '--reclaim-hidden'"),
            (["--keep-layers", "1"], "Unknown option '--keep-layers'"),
            (["--source-hook"], "Unknown option '--source-hook'"),
        ] as [([String], String)]
    )
    func rewriteOnlyOption(_ option: [String], _ message: String) {
        CommandLine.expectUsageError(["audit"] + option + ["in"], message)
    }

    @Test func secondDirectory() {
        CommandLine.expectUsageError(["audit", "in", "out"], "Unexpected argument 'out'")
    }

    @Test func missingInput() {
        CommandLine.expectUsageError(["audit"], "Missing expected argument '<input>'")
    }
}

/// `audit` as a CI gate: `--strategy`, `--report`, `--fail-if-…-over`.
@Suite struct AuditGateCommandLineTests {
    @Test func strategiesChooseTheVariants() throws {
        let command = try CommandLine.audit(["--strategy", "drop-bytecode", "--strategy", "sourceless", "in"])
        #expect(
            command.variants.map(\.name) == ["drop-bytecode", "sourceless", "sourceless --sources drop"])
        let all = try CommandLine.audit(["in"])
        #expect(all.variants.last?.name == "reclaim-hidden")
    }

    @Test func theHiddenLimitAddsTheHiddenMeasure() throws {
        let command = try CommandLine.audit(["--strategy", "dedup", "--fail-if-hidden-over", "20MB", "in"])
        #expect(command.variants.map(\.name) == ["dedup", "reclaim-hidden"])
        #expect(command.gate == AuditGate(savingLimit: nil, hiddenLimit: .bytes(20_000_000)))
    }

    @Test func limits() throws {
        let command = try CommandLine.audit(["--fail-if-saving-over", "5%", "--report", "r.json", "in"])
        #expect(command.gate.savingLimit == .percent(5))
        #expect(command.report == "r.json")
    }

    @Test func aBadLimitIsAUsageError() {
        CommandLine.expectUsageError(
            ["audit", "--fail-if-saving-over", "lots", "in"],
            "The value 'lots' is invalid for '--fail-if-saving-over <size|percent>'")
    }
}
