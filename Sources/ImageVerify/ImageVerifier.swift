import ByteIO
import Foundation
import OCIImage
import OCISlim

#if canImport(Glibc)
    import Glibc
#endif

/// What `ocislim verify` compares and how.
public struct VerifyOptions: Sendable {
    public var original: String
    public var rewritten: String
    /// `--platform`: which image of a multi-platform reference.
    public var platforms: [Platform] = []
    /// Sandboxes at once.
    public var jobs: Int
    /// Seconds one module's import (and `--run`'s command) may take.
    public var timeout: Double = 60
    /// `--run`: run `Entrypoint` + `Cmd` in both and compare.
    public var runCommand = false
    /// `--startup`: time the imports of the modules that import in both.
    public var startup = false
    /// Interleaved rounds of `--startup`.
    public var startupRounds = 3
    /// `--sample`, `--module`: which modules to import (all by default).
    public var sample = ModuleSample.all
    /// Progress lines.
    public var progress: @Sendable (String) -> Void = { _ in }

    /// Options with the defaults.
    public init(original: String, rewritten: String, jobs: Int) {
        self.original = original
        self.rewritten = rewritten
        self.jobs = jobs
    }
}

/// `ocislim verify`: proves a rewritten image still imports what the original imports.
///
/// 1. Opens both references and picks one image in each; refuses an architecture this host cannot run.
/// 2. Materialises each image's merged filesystem into a private temporary directory (`FilesystemMaterializer`),
///    on a memory filesystem when it has room (`ScratchSpace`), removed at the end, on error and on `SIGINT`/`SIGTERM`.
/// 3. Finds the original's interpreters (`InterpreterFinder`) and, in a sandbox, each one's modules.
/// 4. Imports every module (or `--sample`'s) in both images, each with the image's own interpreter in its own
///    sandbox (`ModuleProbe`), at most `jobs` sandboxes at once.
/// 5. Optionally runs the image's command in both (`--run`) and times the common imports (`--startup`).
public struct ImageVerifier: Sendable {
    public let options: VerifyOptions

    public init(options: VerifyOptions) { self.options = options }

    /// Verifies; the report says whether anything regressed.
    public func run() async throws -> VerifyReport {
        let started = Date()
        // MARK: 1. Open
        let original = try ImageUnderTest.open(options.original, platforms: options.platforms)
        let rewritten = try ImageUnderTest.open(options.rewritten, platforms: options.platforms)
        let execution = try ArchitectureCheck.check(
            architecture: original.runtime.architecture, reference: options.original)
        _ = try ArchitectureCheck.check(architecture: rewritten.runtime.architecture, reference: options.rewritten)
        let bubblewrap = try Sandbox.findBubblewrap()

        // MARK: 2. Materialise
        let space = ScratchSpace.current(needed: ScratchSpace.estimate(original.layers + rewritten.layers))
        let (directory, trees) = try await materialize(original, rewritten, space: space)
        defer {
            // When interrupted, the signal handler removes it once the writing threads are gone; two removals at
            // once would trip over each other.
            if !MaterializerStop.shared.isStopped { Self.remove(directory) }
        }
        let sandboxes = (
            original: try Self.sandbox(trees.0.root, original, scratch: directory + "/io", bubblewrap: bubblewrap),
            rewritten: try Self.sandbox(trees.1.root, rewritten, scratch: directory + "/io", bubblewrap: bubblewrap)
        )

        // MARK: 3. Discover
        let interpreters = InterpreterFinder(root: trees.0.root).interpreters()
        guard !interpreters.isEmpty else { throw VerifyError.noInterpreter(reference: options.original) }
        var warnings =
            trees.0.refusals.map { "\(options.original): \($0)" }
            + trees.1.refusals.map { "\(options.rewritten): \($0)" }
        var listings: [(interpreter: String, listing: ModuleProbe.Listing)] = []
        var firstFailure: VerifyError?
        for interpreter in interpreters {
            do {
                listings.append((interpreter, try await probe(sandboxes.original, interpreter).discover()))
            } catch let error as VerifyError {
                guard case .discoveryFailed = error else { throw error }
                warnings.append(error.description)
                firstFailure = firstFailure ?? error
            }
        }
        if listings.isEmpty, let firstFailure { throw firstFailure }

        // MARK: 4. Import
        var counts: [VerifyReport.InterpreterCounts] = []
        var regressions: [VerifyReport.Regression] = []
        var common: [(interpreter: String, modules: [String])] = []
        let rewrittenFinder = InterpreterFinder(root: trees.1.root)
        var probedTrees: Set<String> = []
        for (interpreter, fullListing) in listings {
            // A tree another interpreter already imported (a virtual environment's base's standard library) is not
            // imported again.
            var listing = fullListing
            listing.trees = fullListing.trees.filter { tree in
                guard let path = tree.path else { return true }
                return probedTrees.insert(path).inserted
            }
            let listed = listing.trees.flatMap(\.modules)
            let chosen = options.sample.select(listed)
            for index in listing.trees.indices { listing.trees[index].modules.removeAll { !chosen.contains($0) } }
            let modules = listing.trees.flatMap(\.modules)
            options.progress("importing \(modules.count) modules with \(interpreter) in both images")
            let before = try await importAll(modules, with: probe(sandboxes.original, interpreter))
            let after: [String: ModuleProbe.Outcome]
            if rewrittenFinder.resolve(interpreter) != nil {
                after = try await importAll(modules, with: probe(sandboxes.rewritten, interpreter))
            } else {
                let error = "\(interpreter) is missing from \(options.rewritten)"
                after = Dictionary(
                    uniqueKeysWithValues: modules.map { ($0, .init(name: $0, ok: false, error: error, seconds: 0)) })
            }
            var trees: [VerifyReport.TreeCounts] = []
            var ok: [String] = []
            for tree in listing.trees {
                var row = VerifyReport.TreeCounts(
                    tree: tree.name, modules: tree.modules.count, okInBoth: 0, regressed: 0, failingInBoth: 0, fixed: 0)
                for module in tree.modules {
                    switch (before[module]?.ok == true, after[module]?.ok == true) {
                    case (true, true):
                        row.okInBoth += 1
                        ok.append(module)
                    case (true, false):
                        row.regressed += 1
                        regressions.append(
                            .init(
                                interpreter: interpreter, tree: tree.name, module: module,
                                error: after[module]?.error ?? "no result"))
                    case (false, false): row.failingInBoth += 1
                    case (false, true): row.fixed += 1
                    }
                }
                trees.append(row)
            }
            counts.append(
                .init(
                    interpreter: interpreter, version: listing.version, trees: trees,
                    sampledFrom: modules.count < listed.count ? listed.count : nil))
            // Startup is about what a program imports first: top-level modules (a package's import runs its
            // `__init__`, which pulls in what it needs).
            common.append((interpreter, ok.filter { !$0.contains(".") }))
        }

        // MARK: 5. Run and startup
        var report = VerifyReport(
            original: options.original, rewritten: options.rewritten,
            architecture: original.runtime.architecture ?? ArchitectureCheck.host,
            emulator: { if case .emulated(let path) = execution { path } else { nil } }(),
            interpreters: counts, regressions: regressions, run: nil, startup: nil, warnings: warnings, seconds: 0)
        if options.runCommand {
            report.run = try await runCommand(original: original, sandboxes: sandboxes, warnings: &report.warnings)
        }
        if options.startup {
            var startup: [VerifyReport.StartupTimes] = []
            for (interpreter, modules) in common {
                options.progress("timing \(modules.count) imports with \(interpreter), \(options.startupRounds) rounds")
                startup.append(try await startupTimes(interpreter, modules: modules, sandboxes: sandboxes))
            }
            report.startup = startup
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Writes both trees, at once, into a new private directory in the first of `space`'s directories with room:
    /// when one fills up, its directory is removed and the next tried. Returns the private directory, which holds
    /// `original`, `rewritten` and `io` (the sandboxes' scratch); on failure nothing is left.
    func materialize(
        _ original: ImageUnderTest, _ rewritten: ImageUnderTest, space: ScratchSpace
    ) async throws -> (directory: String, trees: (MaterializedTree, MaterializedTree)) {
        for (position, base) in space.directories.enumerated() {
            let directory = try TemporaryDirectory.make(prefix: "ocislim-verify", in: base)
            do {
                for name in ["original", "rewritten", "io"] {
                    guard mkdir(directory + "/" + name, name == "io" ? 0o700 : 0o755) == 0 else {
                        throw VerifyError.tree(path: directory + "/" + name, call: "mkdir", errno: errno)
                    }
                }
                options.progress("materialising \(options.original) and \(options.rewritten) in \(base)")
                async let originalTree = FilesystemMaterializer(source: original.source, layers: original.layers)
                    .materialize(into: directory + "/original")
                async let rewrittenTree = FilesystemMaterializer(source: rewritten.source, layers: rewritten.layers)
                    .materialize(into: directory + "/rewritten")
                return (directory, try await (originalTree, rewrittenTree))
            } catch let error as VerifyError where error.isOutOfSpace && position + 1 < space.directories.count {
                if !MaterializerStop.shared.isStopped { Self.remove(directory) }
                options.progress("\(error.description): trying \(space.directories[position + 1])")
            } catch {
                // When interrupted, the signal handler removes it once the writing threads are gone.
                if !MaterializerStop.shared.isStopped { Self.remove(directory) }
                throw error
            }
        }
        throw VerifyError.tree(path: space.directories.last ?? "", call: "mkdir", errno: ENOSPC)
    }

    /// The sandbox over `image`'s tree at `root`, running as the image's `User`. bubblewrap started as that user
    /// must reach the tree: the private directory above it becomes traversable (0711, not listable); its `io`
    /// directory stays private.
    private static func sandbox(
        _ root: String, _ image: ImageUnderTest, scratch: String, bubblewrap: String
    ) throws -> Sandbox {
        let tree = try RootedTree(root: root)
        func etc(_ name: String) -> EntryPath {
            EntryPath(components: [Array("etc".utf8CString), Array(name.utf8CString)])
        }
        let user = try ImageUser.resolve(
            image.runtime.user, passwd: try tree.text(of: etc("passwd")), group: try tree.text(of: etc("group")))
        var sandbox = Sandbox(root: root, runtime: image.runtime, scratch: scratch, bubblewrap: bubblewrap)
        sandbox.user = user
        if user != .root && geteuid() == 0 {
            sandbox.setpriv = Sandbox.findProgram("setpriv")
            let directory = String(root[..<(root.lastIndex(of: "/") ?? root.endIndex)])
            guard chmod(directory, 0o711) == 0 else {
                throw VerifyError.tree(path: directory, call: "chmod", errno: errno)
            }
        }
        return sandbox
    }

    private func probe(_ sandbox: Sandbox, _ interpreter: String) -> ModuleProbe {
        ModuleProbe(sandbox: sandbox, interpreter: interpreter, timeout: options.timeout)
    }

    /// Imports `modules` in chunks, one sandbox per chunk, `jobs` at once.
    private func importAll(_ modules: [String], with probe: ModuleProbe) async throws -> [String: ModuleProbe.Outcome] {
        let chunks = Self.chunks(modules, jobs: options.jobs)
        var outcomes: [String: ModuleProbe.Outcome] = [:]
        for part in try await Self.bounded(chunks, jobs: options.jobs, { try await probe.probe($0, mode: "import") }) {
            outcomes.merge(part) { first, _ in first }
        }
        return outcomes
    }

    /// The image's `Entrypoint` + `Cmd` in both images, compared.
    private func runCommand(
        original: ImageUnderTest, sandboxes: (original: Sandbox, rewritten: Sandbox), warnings: inout [String]
    ) async throws -> VerifyReport.RunComparison? {
        let command = original.runtime.entrypoint + original.runtime.command
        guard !command.isEmpty else {
            warnings.append("\(options.original) has no Entrypoint or Cmd: --run has nothing to run")
            return nil
        }
        options.progress("running \(command.joined(separator: " ")) in both images")
        func outcome(_ sandbox: Sandbox) async throws -> VerifyReport.RunOutcome {
            let run = try await sandbox.run(command, input: [], timeout: options.timeout)
            if let failure = run.bubblewrapFailure, !failure.contains("execvp") {
                throw VerifyError.sandboxUnavailable(reason: failure)
            }
            return .init(
                status: run.status, signaled: run.signaled, timedOut: run.timedOut,
                stdout: String(decoding: run.output.prefix(4096), as: UTF8.self),
                stderr: String(decoding: run.errors.prefix(4096), as: UTF8.self))
        }
        let before = try await outcome(sandboxes.original)
        let after = try await outcome(sandboxes.rewritten)
        return .init(command: command, original: before, rewritten: after, same: before == after)
    }

    /// Import times of `modules` (and of the bare interpreter) in both images: each round times every chunk in both,
    /// the image going first alternating between rounds; each module's median over the rounds.
    private func startupTimes(
        _ interpreter: String, modules: [String], sandboxes: (original: Sandbox, rewritten: Sandbox)
    ) async throws -> VerifyReport.StartupTimes {
        let names = [""] + modules
        let chunks = Self.chunks(names, jobs: options.jobs)
        var samples: [[String: [Double]]] = [[:], [:]]
        let (first, second) = (probe(sandboxes.original, interpreter), probe(sandboxes.rewritten, interpreter))
        for round in 0..<options.startupRounds {
            let results = try await Self.bounded(chunks, jobs: options.jobs) { chunk in
                let order = round % 2 == 0 ? [first, second] : [second, first]
                var pair: [[String: ModuleProbe.Outcome]] = []
                for probe in order { pair.append(try await probe.probe(chunk, mode: "time")) }
                return round % 2 == 0 ? pair : pair.reversed()
            }
            for pair in results {
                for (image, outcomes) in pair.enumerated() {
                    for (name, outcome) in outcomes { samples[image][name, default: []].append(outcome.seconds) }
                }
            }
        }
        let medians = samples.map { $0.mapValues(Self.median) }
        let times = modules.map {
            VerifyReport.ModuleTime(module: $0, original: medians[0][$0] ?? 0, rewritten: medians[1][$0] ?? 0)
        }
        return .init(
            interpreter: interpreter, modules: modules.count, rounds: options.startupRounds,
            interpreterOriginal: medians[0][""] ?? 0, interpreterRewritten: medians[1][""] ?? 0,
            importsOriginal: times.map(\.original).reduce(0, +), importsRewritten: times.map(\.rewritten).reduce(0, +),
            slowest: Array(times.sorted { $0.rewritten - $0.original > $1.rewritten - $1.original }.prefix(5)))
    }

    // MARK: Helpers

    /// Splits `items` into chunks small enough that `jobs` sandboxes share the work evenly, and large enough that a
    /// sandbox's start is paid for many imports.
    static func chunks(_ items: [String], jobs: Int) -> [[String]] {
        let size = max(1, min(64, (items.count + jobs * 4 - 1) / max(jobs * 4, 1)))
        return stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
    }

    /// `work` over `items`, at most `jobs` at once, results in the items' order.
    static func bounded<Item: Sendable, Value: Sendable>(
        _ items: [Item], jobs: Int, _ work: @escaping @Sendable (Item) async throws -> Value
    ) async throws -> [Value] {
        try await withThrowingTaskGroup(of: (Int, Value).self) { group in
            var results: [Value?] = Array(repeating: nil, count: items.count)
            var next = 0
            while next < min(jobs, items.count) {
                let (position, item) = (next, items[next])
                group.addTask { (position, try await work(item)) }
                next += 1
            }
            while let (position, value) = try await group.next() {
                results[position] = value
                if next < items.count {
                    let (position, item) = (next, items[next])
                    group.addTask { (position, try await work(item)) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Removes the private directory (both trees), even where the image's modes deny its owner.
    static func remove(_ directory: String) {
        if geteuid() != 0, let tree = try? RootedTree(root: directory) { tree.makeRemovable() }
        try? Directory.removeTree(directory)
        StagingRegistry.shared.remove(directory)
    }
}
