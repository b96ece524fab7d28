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
}
