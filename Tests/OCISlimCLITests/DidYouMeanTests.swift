import Testing

@testable import OCISlimCLI

/// A mistyped subcommand is named with the one meant, in the parser's style.
@Suite struct DidYouMeanTests {
    @Test(arguments: [("rewite", "rewrite"), ("rewirte", "rewrite"), ("audti", "audit"), ("adit", "audit")])
    func suggestsTheNearestSubcommand(typed: String, meant: String) {
        let message = OCISlimCommand.unknownSubcommandError([typed, "in", "out"])
        #expect(message == "Unknown subcommand '\(typed)'. Did you mean '\(meant)'?")
    }

    @Test(arguments: [["rewrite", "a", "b"], ["audit", "a"], ["--help"], ["help"], ["zzzzzz"], []])
    func leavesEverythingElseToTheParser(arguments: [String]) {
        #expect(OCISlimCommand.unknownSubcommandError(arguments) == nil)
    }

    @Test func editDistance() {
        #expect(OCISlimCommand.editDistance("rewrite", "rewite") == 1)
        #expect(OCISlimCommand.editDistance("", "abc") == 3)
        #expect(OCISlimCommand.editDistance("audit", "audit") == 0)
    }
}
