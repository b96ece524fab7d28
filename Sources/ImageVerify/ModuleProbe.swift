import Foundation

/// The probe (`ProbeScript`) run by one interpreter of one image, in its sandbox.
struct ModuleProbe: Sendable {
    let sandbox: Sandbox
    /// The interpreter's path inside the image.
    let interpreter: String
    /// Seconds one module may take.
    let timeout: Double

    /// What `discover` prints.
    struct Listing: Decodable, Sendable {
        struct Tree: Decodable, Sendable {
            var name: String
            /// The directory: two interpreters sharing a tree (a virtual environment and its base) import it alike.
            var path: String?
            var modules: [String]
        }
        var version: String
        var trees: [Tree]
    }

    /// One module's line of `import` or `time`.
    struct Outcome: Decodable, Sendable, Equatable {
        var name: String
        var ok: Bool
        var error: String?
        var seconds: Double
    }

    /// The interpreter's trees of modules.
    func discover() async throws -> Listing {
        let run = try await sandbox.run(
            [interpreter, "-", "discover"], input: Array(ProbeScript.source.utf8), timeout: max(timeout, 60) * 2)
        if let failure = run.bubblewrapFailure { throw VerifyError.sandboxUnavailable(reason: failure) }
        guard run.status == 0, !run.timedOut,
            let listing = try? JSONDecoder().decode(Listing.self, from: Data(run.output))
        else {
            throw VerifyError.discoveryFailed(
                interpreter: interpreter, status: run.timedOut ? -1 : run.status, message: Self.lastLine(run))
        }
        return listing
    }

    /// Imports (`mode` `import`) or times (`time`) each module; a module the sandbox ended before reaching fails with
    /// what the sandbox said.
    func probe(_ modules: [String], mode: String) async throws -> [String: Outcome] {
        let arguments = [interpreter, "-", mode, String(timeout)] + modules
        let run = try await sandbox.run(
            arguments, input: Array(ProbeScript.source.utf8), timeout: timeout * Double(modules.count) + 30)
        if let failure = run.bubblewrapFailure { throw VerifyError.sandboxUnavailable(reason: failure) }
        var outcomes: [String: Outcome] = [:]
        for line in run.output.split(separator: 0x0a) {
            if let outcome = try? JSONDecoder().decode(Outcome.self, from: Data(line)) {
                outcomes[outcome.name] = outcome
            }
        }
        let ending =
            run.timedOut
            ? "the sandbox was killed after \(Int(timeout) * modules.count + 30) s"
            : run.signaled
                ? "the sandbox was killed by signal \(run.status)"
                : "the interpreter exited with status \(run.status): \(Self.lastLine(run))"
        for module in modules where outcomes[module] == nil {
            outcomes[module] = Outcome(name: module, ok: false, error: ending, seconds: 0)
        }
        return outcomes
    }

    private static func lastLine(_ run: Sandbox.Run) -> String {
        run.errorText.split(separator: "\n").last.map(String.init) ?? "no message"
    }
}
