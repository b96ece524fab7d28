import Foundation
import OCISlim
import Testing

@testable import OCISlimCLI

/// `--cache` and `--cache-max-size` on `rewrite` and `audit`.
@Suite struct CacheCommandLineTests {
    @Test(arguments: [("20MB", 20_000_000), ("512MiB", 536_870_912), ("1048576", 1_048_576)] as [(String, Int64)])
    func cacheOptionsReachTheRewrite(_ size: String, _ bytes: Int64) throws {
        let command = try CommandLine.rewrite(["--cache", "/var/cache/ocislim", "--cache-max-size", size, "in", "out"])
        #expect(
            command.options.settings.cache
                == CacheSettings(directory: "/var/cache/ocislim", maxSize: bytes, tool: OCISlimCommand.tool))
    }

    @Test func noCacheByDefault() throws {
        #expect(try CommandLine.rewrite(["in", "out"]).options.settings.cache == nil)
        #expect(try CommandLine.audit(["in"]).auditor.settings.cache == nil)
    }

    @Test func auditTakesTheCache() throws {
        let command = try CommandLine.audit(["--cache", "cachedir", "in"])
        #expect(command.auditor.settings.cache == CacheSettings(directory: "cachedir", tool: OCISlimCommand.tool))
    }

    @Test(arguments: ["rewrite", "audit"]) func maxSizeWithoutCache(_ subcommand: String) {
        CommandLine.expectUsageError(
            [subcommand, "--cache-max-size", "1GB", "in"] + (subcommand == "rewrite" ? ["out"] : []),
            "--cache-max-size needs --cache.")
    }

    @Test func maxSizeAsAPercentage() {
        CommandLine.expectUsageError(
            ["rewrite", "--cache", "c", "--cache-max-size", "5%", "in", "out"],
            "--cache-max-size takes a size, not a percentage.")
    }

    @Test func cacheThatIsAFile() throws {
        let file = NSTemporaryDirectory() + "ocislim-cache-file-" + UUID().uuidString
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        CommandLine.expectUsageError(["rewrite", "--cache", file, "in", "out"], "--cache \(file) is not a directory.")
    }
}
