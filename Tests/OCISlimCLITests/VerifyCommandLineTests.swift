import ImageVerify
import Testing

@testable import OCISlimCLI

/// `ocislim verify`: every option parses into the verifier's options, and bad command lines are refused as usage
/// errors with their messages. Nothing runs.
@Suite struct VerifyCommandLineTests {
    private static func verify(_ arguments: [String]) throws -> OCISlimCommand.Verify {
        try #require(try OCISlimCommand.parseAsRoot(["verify"] + arguments) as? OCISlimCommand.Verify)
    }

    @Test func defaults() throws {
        let command = try Self.verify(["before", "after"])
        let options = command.options
        #expect(options.original == "before")
        #expect(options.rewritten == "after")
        #expect(options.timeout == 60)
        #expect(!options.runCommand)
        #expect(!options.startup)
        #expect(options.jobs >= 1)
        #expect(options.platforms.isEmpty)
        #expect(options.sample == .all)
        #expect(!command.json)
    }

    @Test func everyOption() throws {
        let command = try Self.verify([
            "--json", "--run", "--startup", "--timeout", "2.5", "--jobs", "3", "-q", "--platform", "linux/arm64",
            "--sample", "300", "--module", "tabnanny", "--module", "json", "oci:a:x", "docker-archive:b.tar:app:1",
        ])
        let options = command.options
        #expect(command.json)
        #expect(options.runCommand)
        #expect(options.startup)
        #expect(options.timeout == 2.5)
        #expect(options.jobs == 3)
        #expect(options.platforms.map(\.name) == ["linux/arm64"])
        #expect(options.sample == ModuleSample(count: 300, always: ["tabnanny", "json"]))
        #expect(options.original == "oci:a:x")
        #expect(options.rewritten == "docker-archive:b.tar:app:1")
    }

    @Test func regressionExitStatus() {
        #expect(OCISlimCommand.Verify.regressionStatus == 5)
    }

    @Test(arguments: [
        (["--jobs", "0", "a", "b"], "--jobs must be at least 1."),
        (["--timeout", "0", "a", "b"], "--timeout must be a positive number."),
        (["--sample", "0", "a", "b"], "--sample must be at least 1."),
        (["--module", "json", "a", "b"], "--module chooses modules of a sample: it needs --sample."),
        (["a"], "Missing expected argument '<rewritten>'"),
        (["oci:", "b"], "invalid reference \"oci:\": no path"),
    ])
    func refused(arguments: [String], message: String) {
        CommandLine.expectUsageError(["verify"] + arguments, message)
    }
}
