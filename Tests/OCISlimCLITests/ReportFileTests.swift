import Foundation
import OCIImage
import TestSupport
import Testing

@testable import OCISlimCLI

/// `--report`: `-` is standard output; a file is claimed before any work and appears only when published.
@Suite struct ReportFileTests {
    @Test func aDashIsStandardOutput() throws {
        guard case .standardOutput? = try ReportDestination.claim("-") else {
            Issue.record("- should mean standard output")
            return
        }
        #expect(try ReportDestination.claim(nil) == nil)
    }

    @Test func aPathInAMissingDirectoryIsRefusedAsUsage() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = fixture.path("absent/r.json")
        #expect {
            _ = try ReportDestination.claim(path)
        } throws: { error in
            let report = error as? ReportError
            return report?.exitCode == 64
                && "\(error)" == "cannot write report \(path): No such file or directory"
        }
    }

    @Test func theFileAppearsOnlyWhenPublished() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let path = fixture.path("r.json")
        do {
            let file = try ReportFile(path: path)
            try file.write(Array("{}".utf8))
            #expect(!FileManager.default.fileExists(atPath: path))
            try file.publish()
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("{}".utf8))
        do {
            let abandoned = try ReportFile(path: fixture.path("other.json"))
            try abandoned.write(Array("{}".utf8))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root) == ["r.json"], "no temp file left")
    }

    /// A signal ends the process without `deinit`: the handler's sweep of the staging registry removes the temp file
    /// of a report not yet published (a fleet job's SIGTERM left `.r.json.ocislim-PID` beside the output), and
    /// leaves a published report alone.
    @Test func anInterruptionRemovesTheTempFileButNotAPublishedReport() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let registry = StagingRegistry()
        let done = try ReportFile(path: fixture.path("done.json"), registry: registry)
        try done.write(Array("{}".utf8))
        try done.publish()
        let pending = try ReportFile(path: fixture.path("r.json"), registry: registry)
        try pending.write(Array("{}".utf8))
        registry.removeAll()
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root) == ["done.json"])
        withExtendedLifetime(pending) {}
    }
}
