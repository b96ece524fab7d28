import ArgumentParser

/// `--jobs` and `-q`, shared by `rewrite` and `audit`: how much runs at once, and whether progress is shown.
struct RunOptions: ParsableArguments {
    @Option(help: "Layers processed at once, and threads working on each (default: the number of cores).")
    var jobs: Int?

    @Flag(name: .shortAndLong, help: "Print no progress on standard error.")
    var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
    }

    /// Where the pipeline's progress lines go: standard error, unless `-q`.
    var progress: @Sendable (String) -> Void {
        let quiet = quiet
        return { line in if !quiet { StandardError.write("ocislim: \(line)\n") } }
    }
}
