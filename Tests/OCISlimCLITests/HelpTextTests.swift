import ArgumentParser
import Testing

@testable import OCISlimCLI

/// The help is also the man page (`make man`: swift-argument-parser's generate-manual renders the
/// `--experimental-dump-help` document), and generate-manual drops every character that is not ASCII.
@Suite struct HelpTextTests {
    @Test func everyHelpTextIsASCII() throws {
        var dump: String?
        do {
            _ = try OCISlimCommand.parseAsRoot(["--experimental-dump-help"])
        } catch {
            dump = OCISlimCommand.fullMessage(for: error)
        }
        let text = try #require(dump)
        #expect(text.contains(#""commandName" : "rewrite""#) || text.contains(#""commandName":"rewrite""#))
        let others = text.unicodeScalars.filter { !$0.isASCII }.map { "U+\(String($0.value, radix: 16)) \($0)" }
        #expect(others.isEmpty, "not ASCII: \(others)")
    }

    /// What a job controller acts on: each subcommand's help lists every exit status it ends with, and says which
    /// failures are permanent and which are worth retrying.
    @Test(arguments: [
        ("rewrite", OCISlimCommand.Rewrite.configuration.discussion, [0, 1, 2, 3, 64, 130, 143]),
        ("audit", OCISlimCommand.Audit.configuration.discussion, [0, 1, 2, 4, 64, 130, 143]),
        ("verify", OCISlimCommand.Verify.configuration.discussion, [0, 1, 2, 5, 64, 130, 143]),
    ])
    func theHelpListsEveryExitStatus(command: String, discussion: String, statuses: [Int]) throws {
        let start = try #require(discussion.range(of: "Exit status:"), "\(command)")
        let paragraph = discussion[start.lowerBound...]
        let numbers = paragraph.split { !$0.isNumber }.compactMap { Int($0) }
        #expect(Set(numbers) == Set(statuses), "\(command)")
        #expect(paragraph.contains("permanent") && paragraph.contains("retryable"), "\(command)")
    }
}
