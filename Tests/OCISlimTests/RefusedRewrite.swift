import Codecs
import Foundation
import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// A rewrite that must be refused, and what every refusal promises: exit status 1, no output, no staging directory
/// (nothing beside the input at all), the input unchanged. Returns the one-line message.
enum RefusedRewrite {
    static func message(
        _ fixture: LayoutFixture, input: String, strategy: Strategy = .dropOptimized,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let before = try Snapshot.tree(input)
        let beside = try Set(FileManager.default.contentsOfDirectory(atPath: fixture.root))
        let output = fixture.path("out")
        do {
            _ = try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: strategy)).run()
        } catch {
            #expect(!FileManager.default.fileExists(atPath: output), "no output", sourceLocation: sourceLocation)
            let now = try Set(FileManager.default.contentsOfDirectory(atPath: fixture.root))
            #expect(
                now == beside, "nothing left beside the input: \(now.subtracting(beside))",
                sourceLocation: sourceLocation)
            #expect(try Snapshot.tree(input) == before, "the input is unchanged", sourceLocation: sourceLocation)
            #expect(FailureKind(error).exitStatus == 1, "invalid input: exit 1", sourceLocation: sourceLocation)
            return "\(error)"
        }
        Issue.record("the rewrite should have been refused", sourceLocation: sourceLocation)
        return ""
    }
}

extension LayoutFixture {
    /// A valid one-layer Python image (a module and its optimized bytecode) at `in`, for tests to break or rewrite.
    func writeSmallPythonLayout(compression: Compression = .gzip) throws -> String {
        try writeLayout(
            "in",
            images: [
                [
                    FixtureLayer(
                        entries: [
                            .text("usr/lib/python3.11/m.py", "X = 1\n"),
                            .file(
                                "usr/lib/python3.11/__pycache__/m.cpython-311.opt-1.pyc",
                                try LayoutFixture.compile("X = 1\n")),
                            .interpreter,
                        ], compression: compression)
                ]
            ])
    }
}
