import Foundation
import OCISlim

/// What `verify` found: per interpreter and tree, how many modules import in both images, which regressed (with
/// the exception), and the optional run and startup comparisons.
public struct VerifyReport: Codable, Sendable, Equatable {
    public var original: String
    public var rewritten: String
    /// The images' architecture, and the binfmt emulator they ran through when it is not the host's.
    public var architecture: String
    public var emulator: String?
    public var interpreters: [InterpreterCounts]
    /// Modules that import in the original and not in the rewritten image.
    public var regressions: [Regression]
    /// `--run`: the image's command in both.
    public var run: RunComparison?
    /// `--startup`: import times of the modules that import in both.
    public var startup: [StartupTimes]?
    /// Entries left out while materialising (refused by the secure extraction).
    public var warnings: [String]
    /// Wall time of the whole verification.
    public var seconds: Double

    /// Whether the rewritten image does worse than the original.
    public var hasRegressions: Bool { !regressions.isEmpty || run?.same == false }

    /// One interpreter's modules, per tree.
    public struct InterpreterCounts: Codable, Sendable, Equatable {
        public var interpreter: String
        public var version: String
        public var trees: [TreeCounts]
        /// With `--sample`: how many modules the interpreter's trees list, of which the trees' counts imported a
        /// sample; nil when every module was imported.
        public var sampledFrom: Int?
    }

    /// The modules of one tree (`stdlib`, a `site-packages` directory).
    public struct TreeCounts: Codable, Sendable, Equatable {
        public var tree: String
        public var modules: Int
        public var okInBoth: Int
        public var regressed: Int
        public var failingInBoth: Int
        /// Failing in the original, importing in the rewritten image.
        public var fixed: Int
    }

    /// A module that imports in the original and not in the rewritten image.
    public struct Regression: Codable, Sendable, Equatable {
        public var interpreter: String
        public var tree: String
        public var module: String
        /// The exception's last line in the rewritten image.
        public var error: String
    }

    /// The image's `Entrypoint` + `Cmd` run in both.
    public struct RunComparison: Codable, Sendable, Equatable {
        public var command: [String]
        public var original: RunOutcome
        public var rewritten: RunOutcome
        public var same: Bool
    }

    /// How a run ended and what it printed.
    public struct RunOutcome: Codable, Sendable, Equatable {
        /// The exit status, or the signal number when `signaled`.
        public var status: Int32
        public var signaled: Bool
        public var timedOut: Bool
        public var stdout: String
        public var stderr: String
    }

    /// `--startup` for one interpreter: medians over interleaved rounds, in seconds.
    public struct StartupTimes: Codable, Sendable, Equatable {
        public var interpreter: String
        public var modules: Int
        public var rounds: Int
        /// `python -c pass`.
        public var interpreterOriginal: Double
        public var interpreterRewritten: Double
        /// The sum over modules of `python -c 'import M'`.
        public var importsOriginal: Double
        public var importsRewritten: Double
        /// The modules slowed down most.
        public var slowest: [ModuleTime]
    }

    /// One module's median import time in both images.
    public struct ModuleTime: Codable, Sendable, Equatable {
        public var module: String
        public var original: Double
        public var rewritten: Double
    }
}

// MARK: Table

extension VerifyReport {
    /// The report for people: counts per interpreter and tree, then each regression with its exception; the table
    /// fitted to `width` columns (nil: as wide as it is).
    public func renderTable(width: Int? = nil) -> String {
        var lines: [String] = []
        let emulation = emulator.map { ", run through binfmt emulator \($0)" } ?? ""
        lines += Prose.lines("verify: \(original) → \(rewritten) (\(architecture)\(emulation))", width: width)
        let header = ["interpreter", "tree", "modules", "ok in both", "regressed", "failing in both", "fixed"]
        var rows: [[String]] = []
        for interpreter in interpreters {
            if interpreter.trees.isEmpty {
                rows.append(
                    ["\(interpreter.interpreter) (\(interpreter.version))", "(its trees are above)"] + [
                        "", "", "", "", "",
                    ])
            }
            for tree in interpreter.trees {
                rows.append([
                    "\(interpreter.interpreter) (\(interpreter.version))", tree.tree, "\(tree.modules)",
                    "\(tree.okInBoth)", "\(tree.regressed)", "\(tree.failingInBoth)", "\(tree.fixed)",
                ])
            }
        }
        lines += TextTable(
            header: header, rows: rows, rightAligned: Set(2..<header.count), keyColumns: 2, groupColumn: 0
        ).render(width: width)
        for interpreter in interpreters {
            guard let listed = interpreter.sampledFrom else { continue }
            let imported = interpreter.trees.map(\.modules).reduce(0, +)
            lines.append("\(interpreter.interpreter): a sample of \(imported) of its \(listed) modules (--sample)")
        }
        if regressions.isEmpty {
            lines.append("no module regressed")
        } else {
            lines.append("\(regressions.count) regressed module\(regressions.count == 1 ? "" : "s"):")
            for regression in regressions {
                lines += Prose.lines(
                    "  \(regression.module) (\(regression.interpreter), \(regression.tree)): \(regression.error)",
                    width: width, indent: "    ")
            }
        }
        if let run {
            lines += Prose.lines(
                "run \(run.command.joined(separator: " ")): "
                    + (run.same ? "same exit status and output" : "differs: " + Self.difference(run)), width: width)
        }
        for times in startup ?? [] {
            lines += Prose.lines(
                "startup \(times.interpreter): interpreter \(Self.milliseconds(times.interpreterOriginal)) → "
                    + "\(Self.milliseconds(times.interpreterRewritten)); \(times.modules) imports "
                    + "\(Self.milliseconds(times.importsOriginal)) → \(Self.milliseconds(times.importsRewritten)) "
                    + "(median of \(times.rounds) interleaved rounds)", width: width)
            for module in times.slowest {
                lines.append(
                    "  \(module.module): \(Self.milliseconds(module.original)) → \(Self.milliseconds(module.rewritten))"
                )
            }
        }
        // One line each, however wide: a warning is a log record, found with grep.
        for warning in warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }

    private static func difference(_ run: RunComparison) -> String {
        let (original, rewritten) = (run.original, run.rewritten)
        if original.timedOut != rewritten.timedOut {
            return original.timedOut ? "the original timed out" : "the rewritten image timed out"
        }
        if original.status != rewritten.status || original.signaled != rewritten.signaled {
            return "exit status \(describe(original)) → \(describe(rewritten))"
        }
        return original.stdout != rewritten.stdout ? "standard output differs" : "standard error differs"
    }

    private static func describe(_ outcome: RunOutcome) -> String {
        outcome.signaled ? "signal \(outcome.status)" : "\(outcome.status)"
    }

    private static func milliseconds(_ seconds: Double) -> String {
        String(format: "%.1f ms", seconds * 1000)
    }
}
