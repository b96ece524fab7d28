import ByteIO
import Foundation
import OCIImage
import OCISlim
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The output never lands inside the input, two runs never write one output, and a dead run's leftovers are
/// reclaimed by the next.
@Suite struct OutputSafetyTests {
    private func makeInput(_ fixture: LayoutFixture) throws -> String { try fixture.writeSmallPythonLayout() }

    private func rewrite(_ input: String, _ output: String) async throws {
        _ = try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: .dropOptimized))
            .run()
    }

    /// Every file below `path`, with its bytes, to show a failed run changed nothing.
    private func snapshot(_ path: String) throws -> [String: [UInt8]] { try LayoutFixture.files(under: path) }

    @Test(arguments: ["in/sub", "in/blobs/new", "in/blobs/sha256/x/y", "in/empty", "in/link-out"])
    func refusesAnOutputInsideTheInput(relative: String) async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try makeInput(fixture)
        try FileManager.default.createDirectory(atPath: fixture.path("in/empty"), withIntermediateDirectories: false)
        // A symlink inside the input that points at it: its path looks outside only until it is resolved.
        try FileManager.default.createSymbolicLink(atPath: fixture.path("alias"), withDestinationPath: input)
        let output = relative == "in/link-out" ? fixture.path("alias/out") : fixture.path(relative)
        let before = try snapshot(input)
        await #expect {
            try await rewrite(input, output)
        } throws: {
            "\($0)" == "output \(output) and input \(input) overlap (one is inside the other): the input must not "
                + "be modified"
        }
        #expect(try snapshot(input) == before, "the input is unchanged")
        #expect(!FileManager.default.fileExists(atPath: fixture.path("in/.sub.ocislim")))
    }

    @Test func refusesAnInputInsideTheStagingDirectory() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        // Reclaiming the staging directory empties it: an input there would be deleted.
        let staging = fixture.path(".out.ocislim")
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        _ = try makeInput(fixture)
        let input = staging + "/in"
        try FileManager.default.moveItem(atPath: fixture.path("in"), toPath: input)
        let before = try snapshot(input)
        await #expect {
            try await rewrite(input, fixture.path("out"))
        } throws: {
            "\($0)" == "output \(fixture.path("out")) and input \(input) overlap (one is inside the other): the "
                + "input must not be modified"
        }
        #expect(try snapshot(input) == before, "the input is unchanged")
    }

    @Test func aSecondRunIntoTheSameOutputFailsAtOnce() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try makeInput(fixture)
        let output = fixture.path("out")
        // A live run holds the lock on the staging directory; this test plays that run.
        let staging = fixture.path(".out.ocislim")
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        try Data("partial".utf8).write(to: URL(fileURLWithPath: staging + "/index.json"))
        let held = open(staging, O_RDONLY | O_DIRECTORY)
        #expect(held >= 0)
        defer { close(held) }
        #expect(flock(held, LOCK_EX | LOCK_NB) == 0)
        await #expect {
            try await rewrite(input, output)
        } throws: {
            "\($0)" == "output \(output) is being written by another ocislim run (it holds the lock on \(staging))"
        }
        #expect(FileManager.default.fileExists(atPath: staging + "/index.json"), "the live run's files are left alone")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func aDeadRunsStagingDirectoryIsReclaimed() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try makeInput(fixture)
        let output = fixture.path("out")
        // What a run killed by SIGKILL leaves: a staging directory with half a blob, and no lock (the kernel freed it).
        let staging = fixture.path(".out.ocislim")
        try FileManager.default.createDirectory(
            atPath: staging + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: staging + "/blobs/sha256/.partial-1"))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: staging + "/stray"))
        try await rewrite(input, output)
        #expect(!FileManager.default.fileExists(atPath: staging), "the staging directory became the output")
        #expect(!FileManager.default.fileExists(atPath: output + "/stray"))
        #expect(!FileManager.default.fileExists(atPath: output + "/blobs/sha256/.partial-1"))
        try LayoutFixture.checkLayout(output)
    }

    /// A missing parent of the output is created (as skopeo does); a run that fails removes what it created.
    @Test func missingParentsAreCreatedAndRemovedAgainOnFailure() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try makeInput(fixture)
        try await rewrite(input, fixture.path("a/b/out"))
        try LayoutFixture.checkLayout(fixture.path("a/b/out"))

        let layers = try FileManager.default.contentsOfDirectory(atPath: input + "/blobs/sha256")
        for blob in layers {
            let path = input + "/blobs/sha256/" + blob
            // The layer is the only gzip blob (magic 1f 8b): without it the rewrite fails after the output side is set up.
            if try Data(contentsOf: URL(fileURLWithPath: path)).prefix(2) == Data([0x1f, 0x8b]) {
                try FileManager.default.removeItem(atPath: path)
            }
        }
        await #expect(throws: (any Error).self) { try await rewrite(input, fixture.path("c/d/out")) }
        #expect(!FileManager.default.fileExists(atPath: fixture.path("c")), "the parents it created are gone")
    }

    /// What must not fail after the output exists (the report file) runs before it is published: a failure there
    /// leaves no output and no staging directory.
    @Test func aFailureBeforePublishingLeavesNoOutput() async throws {
        struct ReportFailed: Error {}
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try makeInput(fixture)
        let output = fixture.path("out")
        var seen: RewriteReport?
        await #expect(throws: ReportFailed.self) {
            _ = try await ImageRewriter(options: RewriteOptions(input: input, output: output, strategy: .dropOptimized))
                .run(beforePublishing: { report in
                    seen = report
                    throw ReportFailed()
                })
        }
        #expect(seen?.output == output, "the report is finished before publishing")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try Directory.entries(fixture.root).filter { $0.contains("ocislim") }.isEmpty)
    }

    @Test func aStagingPathThatIsASymlinkIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try makeInput(fixture)
        let elsewhere = fixture.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(
            atPath: fixture.path(".out.ocislim"), withDestinationPath: elsewhere)
        await #expect {
            try await rewrite(input, fixture.path("out"))
        } throws: {
            "\($0)" == "cannot write \(fixture.path(".out.ocislim")): it exists and is not a directory; remove it"
        }
        #expect(try Directory.entries(elsewhere).isEmpty, "nothing written through the link")
    }

}

/// Each failure maps to the exit status its cause deserves: the input (1), the machine (2), the command line (64).
@Suite struct FailureKindTests {
    @Test func classifiesByCause() throws {
        let digest = try Digest(parsing: "sha256:" + String(repeating: "a", count: 64))
        #expect(FailureKind(ByteIOError.write(path: "/o/index.json", errno: ENOSPC)) == .resource)
        #expect(
            FailureKind(RewriteError.layer(digest, underlying: ByteIOError.read(path: "/b", errno: EIO))) == .resource)
        #expect(FailureKind(ByteIOError.open(path: "/b", errno: EISDIR)) == .invalidInput)
        #expect(FailureKind(OCIError.digestMismatch(digest, actual: "00")) == .invalidInput)
        #expect(FailureKind(OCIError.outputBusy(path: "/o", staging: "/.o.ocislim")) == .resource)
        #expect(FailureKind(OCIError.outputOverlapsInput(output: "/i/o", input: "/i")) == .usage)
        let refused = RefusedReferrer(digest: digest, referrerClass: .signature, subject: digest)
        #expect(FailureKind(ReferrerError.signaturesRefused([refused])) == .policy)
        #expect(FailureKind(ReferrerError.signaturesLost(ReferrerLoss(format: "docker-archive"), [refused])) == .policy)
        #expect(FailureKind(ReferrerError.subjectIsAncestor(referrer: digest, subject: digest)) == .invalidInput)
        #expect([FailureKind.invalidInput, .resource, .policy, .usage].map(\.exitStatus) == [1, 2, 3, 64])
    }
}
