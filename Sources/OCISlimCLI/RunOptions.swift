import ArgumentParser
import OCISlim

/// `--jobs` and `-q`, shared by `rewrite` and `audit`: how much runs at once, and whether progress is shown.
struct RunOptions: ParsableArguments {
    @Option(help: "Layers processed at once, and threads working on each (default: the number of cores).")
    var jobs: Int?

    @Flag(name: .shortAndLong, help: "Print no progress on standard error (--progress none).")
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "How progress shows on standard error.",
            discussion: "auto: a live display on a terminal, plain lines otherwise; tty: the live display (each "
                + "layer's bytes done, rate, elapsed and time left, redrawn in place); plain: a line when each step "
                + "starts and ends, with its duration and size; none: nothing. Nothing goes to standard output."
        ))
    var progress: ProgressMode = .auto

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
    }

    /// Where the pipeline's progress goes: standard error, shown as `--progress` says (nothing with `-q`).
    var reporter: any ProgressReporter { (quiet ? ProgressMode.none : progress).reporter() }
}
