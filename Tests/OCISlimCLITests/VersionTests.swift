import ArgumentParser
import Foundation
import OCISlim
import TestSupport
import Testing

@testable import OCISlimCLI

/// `--version` names the release and the commit the binary was built from; reports carry the same.
@Suite struct VersionTests {
    /// The package's own checkout (three levels above this file), when git can read it.
    static let head: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        guard let output = try? Tool.output(["git", "-C", root, "rev-parse", "--short=12", "HEAD"]) else { return nil }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    @Test(.enabled(if: VersionTests.head != nil))
    func theCommitIsTheCheckoutsHead() throws {
        let head = try #require(Self.head)
        #expect(OCISlimCommand.tool.commit == head || OCISlimCommand.tool.commit == head + "-dirty")
    }

    @Test func versionPrintsTheReleaseAndTheCommit() {
        do {
            _ = try OCISlimCommand.parseAsRoot(["--version"])
            Issue.record("--version should end the command")
        } catch {
            #expect(
                OCISlimCommand.fullMessage(for: error)
                    == "ocislim \(OCISlimCommand.version) (commit \(OCISlimCommand.tool.commit))")
            #expect(OCISlimCommand.exitCode(for: error) == .success)
        }
    }

    @Test func reportsNameTheTool() throws {
        let tool = ToolInfo(name: "ocislim", version: "1.2.3", commit: "abc")
        let json = try PipelineRun.json(tool)
        #expect(String(decoding: json, as: UTF8.self).contains(#""commit" : "abc""#))
        #expect(OCISlimCommand.tool.name == "ocislim" && OCISlimCommand.tool.version == OCISlimCommand.version)
    }
}
