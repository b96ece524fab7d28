import OCIImage
import OCISlim
import Testing

@testable import OCISlimCLI

/// References, `--platform` and `--replace` on the command line: what parses, and each rule with its message.
@Suite struct ReferenceCommandLineTests {
    @Test func platformsAndReplaceReachTheOptions() throws {
        let command = try CommandLine.rewrite([
            "--platform", "linux/amd64", "--platform", "linux/arm64/v8", "--replace", "oci:in:a", "oci:in:b",
        ])
        #expect(
            command.options.platforms == [
                Platform(architecture: "amd64", os: "linux"),
                Platform(architecture: "arm64", os: "linux", variant: "v8"),
            ])
        #expect(command.options.replaceExistingName)
        #expect(command.options.input == "oci:in:a")
        #expect(command.options.output == "oci:in:b")
    }

    @Test func auditTakesPlatformsAndReferences() throws {
        let command = try CommandLine.audit(["--platform", "linux/arm64", "docker-archive:app.tar:app:1"])
        #expect(command.auditor.platforms == [Platform(architecture: "arm64", os: "linux")])
        #expect(command.auditor.input == "docker-archive:app.tar:app:1")
    }

    @Test func standardStreams() throws {
        let command = try CommandLine.rewrite(["-", "docker-archive:-", "--report", "r.json"])
        #expect(command.options.input == "-")
    }

    @Test(arguments: ["linux", "linux/", "/amd64", "a/b/c/d"]) func malformedPlatform(_ text: String) {
        CommandLine.expectUsageError(
            ["rewrite", "--platform", text, "in", "out"],
            "The value '\(text)' is invalid for '--platform <os/arch[/variant]>'")
    }

    @Test func badReference() {
        CommandLine.expectUsageError(
            ["rewrite", "oci:", "out"], "invalid reference \"oci:\": no path")
        CommandLine.expectUsageError(
            ["audit", "docker-archive:a.tar:app"],
            "invalid reference \"docker-archive:a.tar:app\": a docker-archive image is named NAME:TAG")
    }

    @Test func aPositionDoesNotNameAnOutput() {
        CommandLine.expectUsageError(
            ["rewrite", "in", "docker-archive:out.tar:@1"],
            "an output reference names its image (NAME or NAME:TAG), not a position.")
    }

    @Test(arguments: [["--json"], ["--report", "-"]]) func aReportCannotShareStandardOutputWithTheArchive(
        _ report: [String]
    ) {
        CommandLine.expectUsageError(
            ["rewrite"] + report + ["in.tar", "-"],
            "the archive goes to standard output: write the report with --report FILE.")
    }

    @Test func replaceNeedsANamedLayoutOutput() {
        CommandLine.expectUsageError(
            ["rewrite", "--replace", "in", "out"], "--replace applies to an output oci:DIR:NAME only.")
    }

    @Test func aNewNameInTheSameLayoutIsNotTheSamePath() throws {
        _ = try CommandLine.rewrite(["oci:in:latest", "oci:in:slim"])
    }
}

@Suite struct DigestfileCommandLineTests {
    @Test func digestfileParses() throws {
        #expect(try CommandLine.rewrite(["--digestfile", "d.txt", "in", "out"]).digestfile == "d.txt")
    }
}
