import Codecs
import Foundation
import OCISlim
import PythonMinimizer
import Testing

@testable import OCISlimCLI

/// `ocislim rewrite`: every option parses into the configuration the pipeline gets, and every rule between options
/// refuses what it should with its message and exit status 64. Nothing runs.
@Suite struct RewriteCommandLineTests {
    // MARK: What parses

    @Test func defaults() throws {
        let command = try CommandLine.rewrite(["in", "out"])
        #expect(command.input == "in")
        #expect(command.output == "out")
        #expect(command.report == nil)
        #expect(!command.json)
        #expect(!command.runOptions.quiet)
        let options = command.options
        #expect(options.input == "in")
        #expect(options.output == "out")
        #expect(options.strategy == .dedup)
        #expect(options.sourceless == SourcelessOptions(keepSources: true, sourceHook: false, keepPatterns: []))
        #expect(options.compileWith == nil)
        #expect(options.minimumLayerSaving == 64 * 1024)
        #expect(options.compression == .keep)
        #expect(options.compressionLevel == nil)
        #expect(options.jobs == RewriteOptions(input: "in", output: "out", strategy: .dedup).jobs)
    }

    @Test(arguments: Strategy.allCases) func strategy(_ strategy: Strategy) throws {
        let command = try CommandLine.rewrite(["--strategy", strategy.rawValue, "in", "out"])
        #expect(command.options.strategy == strategy)
    }

    @Test func strategyNames() {
        #expect(Strategy.allValueStrings == ["dedup", "drop-optimized", "drop-bytecode", "sourceless"])
        #expect(Set(Strategy.allValueDescriptions.keys) == Set(Strategy.allValueStrings), "help for every strategy")
    }

    @Test func sourcelessOptions() throws {
        let command = try CommandLine.rewrite([
            "--strategy", "sourceless", "--sources", "drop", "--source-hook", "--compile-with", "/usr/bin/python3.11",
            "--keep", "/usr/lib/python3*/**/tests/**", "--keep", "/opt/app/**", "in", "out",
        ])
        let options = command.options
        #expect(options.strategy == .sourceless)
        #expect(
            options.sourceless
                == SourcelessOptions(
                    keepSources: false, sourceHook: true,
                    keepPatterns: ["/usr/lib/python3*/**/tests/**", "/opt/app/**"]
                )
        )
        #expect(options.compileWith == "/usr/bin/python3.11")
    }

    @Test(arguments: [[], ["--sources", "keep"]]) func sourcelessKeepsSources(_ sources: [String]) throws {
        let options = try CommandLine.rewrite(["--strategy", "sourceless"] + sources + ["in", "out"]).options
        #expect(options.sourceless == SourcelessOptions(keepSources: true, sourceHook: false, keepPatterns: []))
    }

    @Test(arguments: [("0", 0), ("1", 1), ("1048576", 1_048_576)] as [(String, Int64)])
    func minLayerSaving(_ argument: String, _ bytes: Int64) throws {
        let command = try CommandLine.rewrite(["--min-layer-saving", argument, "in", "out"])
        #expect(command.options.minimumLayerSaving == bytes)
    }

    @Test(
        arguments: [
            ("keep", .keep), ("gzip", .codec(.gzip)), ("zstd", .codec(.zstd)), ("none", .codec(.uncompressed)),
        ] as [(String, OutputCompression)]
    )
    func compression(_ argument: String, _ compression: OutputCompression) throws {
        let command = try CommandLine.rewrite(["--compression", argument, "in", "out"])
        #expect(command.options.compression == compression)
        #expect(command.options.compressionLevel == nil)
    }

    @Test(
        arguments: [
            (["--compression", "gzip", "--compression-level", "1"], 1),
            (["--compression", "gzip", "--compression-level", "12"], 12),
            (["--compression", "zstd", "--compression-level", "19"], 19),
            (["--compression", "zstd", "--compression-level=-5"], -5),
        ] as [([String], Int32)]
    )
    func compressionLevel(_ arguments: [String], _ level: Int32) throws {
        #expect(try CommandLine.rewrite(arguments + ["in", "out"]).options.compressionLevel == level)
    }

    /// With keep, the level must suit the codec of every layer, which only the image tells: the pipeline checks it.
    @Test func anyLevelParsesWithKeep() throws {
        let options = try CommandLine.rewrite(["--compression-level", "30", "in", "out"]).options
        #expect(options.compression == .keep)
        #expect(options.compressionLevel == 30)
    }

    @Test func referrerPolicies() throws {
        #expect(try CommandLine.rewrite(["in", "out"]).options.referrers == ReferrerPolicy())
        #expect(ReferrerPolicy() == ReferrerPolicy(signatures: .drop, attestations: .relink, scanBlobs: false))
        let command = try CommandLine.rewrite([
            "--signatures", "refuse", "--attestations", "drop", "--scan-blobs", "in", "out",
        ])
        #expect(command.options.referrers == ReferrerPolicy(signatures: .refuse, attestations: .drop, scanBlobs: true))
        #expect(try CommandLine.rewrite(["--signatures", "keep", "in", "out"]).options.referrers.signatures == .keep)
        CommandLine.expectUsageError(
            ["rewrite", "--signatures", "sign", "in", "out"],
            "The value 'sign' is invalid for '--signatures <policy>'. Please provide one of 'drop', 'keep' or "
                + "'refuse'.")
    }

    @Test func reportAndJSON() throws {
        let command = try CommandLine.rewrite(["--report", "report.json", "--json", "in", "out"])
        #expect(command.report == "report.json")
        #expect(command.json)
    }

    @Test(arguments: [["-q"], ["--quiet"]]) func quiet(_ arguments: [String]) throws {
        #expect(try CommandLine.rewrite(arguments + ["in", "out"]).runOptions.quiet)
    }

    @Test(arguments: [1, 3, 64]) func jobs(_ jobs: Int) throws {
        let command = try CommandLine.rewrite(["--jobs", "\(jobs)", "in", "out"])
        #expect(command.runOptions.jobs == jobs)
        #expect(command.options.jobs == jobs)
    }

    @Test func optionsAfterArguments() throws {
        let command = try CommandLine.rewrite(["in", "out", "--strategy", "drop-bytecode", "-q"])
        #expect(command.options.strategy == .dropBytecode)
        #expect(command.runOptions.quiet)
    }

    // MARK: What is refused

    @Test func unknownStrategy() {
        CommandLine.expectUsageError(
            ["rewrite", "--strategy", "nonsense", "in", "out"],
            "The value 'nonsense' is invalid for '--strategy <strategy>'. Please provide one of 'dedup', "
                + "'drop-optimized', 'drop-bytecode' or 'sourceless'."
        )
    }

    @Test func unknownCompression() {
        CommandLine.expectUsageError(
            ["rewrite", "--compression", "lz4", "in", "out"],
            "The value 'lz4' is invalid for '--compression <keep|gzip|zstd|none>'. Please provide one of 'keep', "
                + "'gzip', 'zstd' or 'none'."
        )
    }

    @Test func unknownSources() {
        CommandLine.expectUsageError(
            ["rewrite", "--strategy", "sourceless", "--sources", "zip", "in", "out"],
            "The value 'zip' is invalid for '--sources <sources>'. Please provide one of 'keep' and 'drop'."
        )
    }

    @Test func missingOutput() {
        CommandLine.expectUsageError(["rewrite", "in"], "Missing expected argument '<output>'")
    }

    @Test(arguments: ["-1", "-65536"]) func negativeMinLayerSaving(_ bytes: String) {
        CommandLine.expectUsageError(
            ["rewrite", "--min-layer-saving=\(bytes)", "in", "out"], "--min-layer-saving cannot be negative."
        )
    }

    /// The sourceless-only options with every other strategy, named or by default.
    @Test(
        arguments: [[], ["--strategy", "dedup"], ["--strategy", "drop-optimized"], ["--strategy", "drop-bytecode"]],
        [["--sources", "drop"], ["--source-hook"], ["--keep", "/opt/**"], ["--compile-with", "python3.11"]]
    )
    func sourcelessOptionWithAnotherStrategy(_ strategy: [String], _ option: [String]) {
        CommandLine.expectUsageError(
            ["rewrite"] + strategy + option + ["in", "out"],
            "--sources, --source-hook, --keep and --compile-with apply to --strategy sourceless only."
        )
    }

    /// The same directory however spelled: with a trailing slash, `.` or `..` components, relative or absolute.
    @Test(
        arguments: [
            ("layout", "layout"), ("layout", "./layout/"), ("layout/", "layout"), ("/a/b", "/a/c/../b"),
            ("a/./b", "a/b"), ("layout", FileManager.default.currentDirectoryPath + "/layout"),
        ]
    )
    func sameInputAndOutput(_ input: String, _ output: String) {
        CommandLine.expectUsageError(
            ["rewrite", input, output], "input and output must be different paths."
        )
    }

    @Test(arguments: ["0", "-1"]) func jobsBelowOne(_ jobs: String) {
        CommandLine.expectUsageError(["rewrite", "--jobs=\(jobs)", "in", "out"], "--jobs must be at least 1.")
    }

    @Test(
        arguments: [
            (
                ["--compression", "gzip", "--compression-level", "99"],
                "compression level 99 is not a gzip level (1 to 12)."
            ),
            (
                ["--compression", "gzip", "--compression-level", "0"],
                "compression level 0 is not a gzip level (1 to 12)."
            ),
            (
                ["--compression", "zstd", "--compression-level", "23"],
                "compression level 23 is not a zstd level (-131072 to 22)."
            ),
            (
                ["--compression", "none", "--compression-level", "3"],
                "compression level 3 given with --compression none: uncompressed layers have no level."
            ),
        ] as [([String], String)]
    )
    func compressionLevelTheCodecRefuses(_ arguments: [String], _ message: String) {
        CommandLine.expectUsageError(["rewrite"] + arguments + ["in", "out"], message)
    }

    /// The rules are checked in a fixed order; the first broken one is reported.
    @Test func firstBrokenRuleWins() {
        CommandLine.expectUsageError(
            ["rewrite", "--min-layer-saving=-1", "--source-hook", "same", "same"],
            "--min-layer-saving cannot be negative."
        )
        CommandLine.expectUsageError(
            ["rewrite", "--source-hook", "same", "same"],
            "--sources, --source-hook, --keep and --compile-with apply to --strategy sourceless only."
        )
    }
}
