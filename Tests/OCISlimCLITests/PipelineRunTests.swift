import ArgumentParser
import ByteIO
import Foundation
import OCIImage
import OCISlim
import Testing

@testable import OCISlimCLI

/// How `rewrite` and `audit` end when the pipeline fails, and how they print reports.
@Suite struct PipelineRunTests {
    private struct SomeFailure: Error {}

    /// Options that do not suit the image, found by the pipeline from its documents, are a usage error.
    @Test func compressionErrorIsAUsageError() {
        #expect(PipelineRun.exitCode(for: CompressionError.levelWithoutCompression(3)) == .validationFailure)
        #expect(PipelineRun.exitCode(for: CompressionError.levelWithoutCompression(3)).rawValue == 64)
    }

    /// A full disk, an I/O error or a busy output may go away: exit 2, so a pipeline knows to retry.
    @Test func resourceFailuresAreExitStatusTwo() {
        #expect(PipelineRun.exitCode(for: ByteIOError.write(path: "/o/f", errno: ENOSPC)).rawValue == 2)
        #expect(PipelineRun.exitCode(for: OCIError.outputBusy(path: "/o", staging: "/.o.ocislim")).rawValue == 2)
    }

    /// Run-time errors read like the parser's: one style for every error the command prints.
    @Test func aFailedRunSpeaksInTheParsersStyle() {
        #expect(
            PipelineRun.errorLine(OCIError.outputNotEmpty(path: "/o")) == "Error: output /o exists and is not empty")
    }

    @Test func anyOtherFailureIsExitStatusOne() {
        #expect(PipelineRun.exitCode(for: SomeFailure()) == .failure)
        #expect(PipelineRun.exitCode(for: CocoaError(.fileNoSuchFile)).rawValue == 1)
    }

    @Test func failureBecomesItsExitStatus() async {
        await #expect(throws: ExitCode.validationFailure) {
            try await PipelineRun.result { () async throws -> Int in throw CompressionError.levelWithoutCompression(1) }
        }
        await #expect(throws: ExitCode.failure) {
            try await PipelineRun.result { () async throws -> Int in throw SomeFailure() }
        }
    }

    @Test func successPassesThrough() async throws {
        #expect(try await PipelineRun.result { 42 } == 42)
    }

    /// Reports are indented, with sorted keys and slashes as they are.
    @Test func json() throws {
        struct Report: Encodable {
            let output = "out/dir"
            let images = [1, 2]
        }
        let text = String(decoding: try PipelineRun.json(Report()), as: UTF8.self)
        #expect(text == "{\n  \"images\" : [\n    1,\n    2\n  ],\n  \"output\" : \"out/dir\"\n}")
    }
}
