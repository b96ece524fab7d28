import ArgumentParser
import Testing

@testable import OCISlimCLI

/// Parses command lines the way the `ocislim` executable does, without running anything.
enum CommandLine {
    /// The `rewrite` command `arguments` (after `ocislim rewrite`) parse into, validated.
    static func rewrite(_ arguments: [String]) throws -> OCISlimCommand.Rewrite {
        try #require(try OCISlimCommand.parseAsRoot(["rewrite"] + arguments) as? OCISlimCommand.Rewrite)
    }

    /// The `audit` command `arguments` (after `ocislim audit`) parse into, validated.
    static func audit(_ arguments: [String]) throws -> OCISlimCommand.Audit {
        try #require(try OCISlimCommand.parseAsRoot(["audit"] + arguments) as? OCISlimCommand.Audit)
    }

    /// Checks that `ocislim` refuses `arguments` (subcommand first) as a usage error: exit status 64, and on standard
    /// error "Error: " with exactly `message`, then the subcommand's usage.
    static func expectUsageError(
        _ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try OCISlimCommand.parseAsRoot(arguments)
        } catch {
            #expect(OCISlimCommand.message(for: error) == message, sourceLocation: sourceLocation)
            #expect(OCISlimCommand.exitCode(for: error) == .validationFailure, sourceLocation: sourceLocation)
            let printed = OCISlimCommand.fullMessage(for: error)
            #expect(printed.hasPrefix("Error: \(message)\n"), "\(printed)", sourceLocation: sourceLocation)
            #expect(printed.contains("Usage: ocislim \(arguments[0]) "), "\(printed)", sourceLocation: sourceLocation)
            return
        }
        Issue.record("\(arguments) should have been refused", sourceLocation: sourceLocation)
    }
}
