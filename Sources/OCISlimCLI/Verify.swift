import ArgumentParser
import Dispatch
import Foundation
import ImageVerify
import OCIImage
import OCISlim

#if canImport(Glibc)
    import Glibc
#endif

extension OCISlimCommand {
    /// `ocislim verify`: does the rewritten image still import every module the original imports?
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that a rewritten image imports every Python module its original imports.",
            discussion: """
                Writes each image's merged filesystem (layers in order, whiteouts applied) into a private temporary \
                directory with libarchive's secure extraction (no `..`, no absolute names, nothing through symbolic \
                links, no device nodes), finds the original's interpreters (/usr/bin/python3*, \
                /usr/local/bin/python3*, every virtual environment's bin/python) and their modules, packages' \
                submodules included (standard library, site-packages, dist-packages; not test packages, not \
                __main__), and imports each module in both images with the \
                image's own interpreter inside a bubblewrap sandbox: the image as a read-only root, no network, a \
                private /tmp, the image's Env and WorkingDir, a time limit per module. Nothing of either image runs \
                outside a sandbox. The temporary directory is made in TMPDIR when it is set; otherwise on /dev/shm \
                when that is a memory filesystem with room for both trees (several times faster to write and remove \
                than a disk), else in /tmp. It is removed at the end, on error and when interrupted.

                An image for another architecture runs only through a binfmt_misc emulator registered with the F \
                flag (qemu-user-static); otherwise it is refused.

                Exit status: 0 when nothing regressed, 5 when a module (or, with --run, the command) regressed, 1 \
                when an input is invalid (permanent), 2 when the machine cannot do the work (no bubblewrap, disk \
                full; retryable), 64 for usage errors, 130/143 when interrupted by SIGINT/SIGTERM.
                """
        )

        @Flag(help: "Print the report as JSON instead of a table.")
        var json = false

        @Flag(
            name: .customLong("run"),
            help: "Also run the image's Entrypoint and Cmd in both images and compare exit status and output.")
        var runCommand = false

        @Flag(
            help: "Also time the imports of the top-level modules that import in both (median of interleaved rounds).")
        var startup = false

        @Option(help: ArgumentHelp("Seconds one module's import (and --run's command) may take.", valueName: "seconds"))
        var timeout: Double = 60

        @Option(
            help: ArgumentHelp(
                "Import only this many modules per interpreter, spread evenly over its trees (the same ones on every "
                    + "run), and those --module names: a quicker, partial check (default: every module).",
                valueName: "count"))
        var sample: Int?

        @Option(
            name: .customLong("module"),
            help: ArgumentHelp("With --sample, import this module too (repeatable).", valueName: "name"))
        var modules: [String] = []

        @Option(help: "Sandboxes run at once (default: the number of cores).")
        var jobs: Int?

        @Flag(name: .shortAndLong, help: "Print no progress on standard error.")
        var quiet = false

        @OptionGroup
        var selection: ImageSelectionOptions

        @Argument(help: ArgumentHelp("The image before the rewrite, as `rewrite` reads it.", valueName: "original"))
        var original: String

        @Argument(help: ArgumentHelp("The image the rewrite made.", valueName: "rewritten"))
        var rewritten: String

        func validate() throws {
            if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
            if let sample, sample < 1 { throw ValidationError("--sample must be at least 1.") }
            if !modules.isEmpty && sample == nil {
                throw ValidationError("--module chooses modules of a sample: it needs --sample.")
            }
            guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number.") }
            for reference in [original, rewritten] {
                do {
                    _ = try ImageReference(parsing: reference)
                } catch let error as ReferenceError {
                    throw ValidationError(error.description)
                }
            }
        }

        /// The options the arguments describe.
        var options: VerifyOptions {
            var options = VerifyOptions(
                original: original, rewritten: rewritten,
                jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            options.platforms = selection.platforms
            options.timeout = timeout
            options.runCommand = runCommand
            options.startup = startup
            options.sample = ModuleSample(count: sample, always: Set(modules))
            let quiet = quiet
            options.progress = { line in if !quiet { StandardError.write("ocislim: \(line)\n") } }
            return options
        }

        /// The status of a run that found a regression.
        static let regressionStatus: Int32 = 5

        func run() async throws {
            VerifyInterruption.removeTreesOnSignals()
            let report: VerifyReport
            do {
                report = try await ImageVerifier(options: options).run()
            } catch let error as VerifyError {
                try await VerifyInterruption.waitIfInterrupted()
                StandardError.write(PipelineRun.errorLine(error) + "\n")
                throw ExitCode(error.exitStatus)
            } catch {
                try await VerifyInterruption.waitIfInterrupted()
                StandardError.write(PipelineRun.errorLine(error) + "\n")
                throw PipelineRun.exitCode(for: error)
            }
            try await VerifyInterruption.waitIfInterrupted()
            if json {
                print(String(decoding: try PipelineRun.json(report), as: UTF8.self))
            } else {
                print(report.renderTable(width: Terminal.tableWidth(of: STDOUT_FILENO)))
            }
            if report.hasRegressions { throw ExitCode(Self.regressionStatus) }
        }
    }
}

/// `Interruption` for `verify`: `SIGINT` and `SIGTERM` first stop the threads writing the images' trees (a removal
/// racing with them would leave files behind), then remove the private directory and exit 130 or 143. Sandboxes die
/// with the process (`--die-with-parent`).
enum VerifyInterruption {
    nonisolated(unsafe) private static let sources: [any DispatchSourceSignal] = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            MaterializerStop.shared.stopAndWait(timeout: 5)
            StagingRegistry.shared.removeAll()
            _exit(128 + number)
        }
        source.resume()
        return source
    }

    /// Installs the handlers (once per process).
    static func removeTreesOnSignals() {
        Interruption.ignoreBrokenPipes()
        _ = sources
    }

    /// Once a signal has arrived, waits for its handler to remove the trees and end the process: whatever the run
    /// came to after it (a sandbox over a tree being removed fails, an import there regresses) is not its result, and
    /// ending first would leave the rest of the trees behind. Returns at once otherwise.
    static func waitIfInterrupted() async throws {
        guard MaterializerStop.shared.isStopped else { return }
        // The handler exits well before this; only a fallback.
        try await Task.sleep(nanoseconds: 30_000_000_000)
        throw ExitCode(130)
    }
}
