import ArgumentParser
import Foundation
import OCIImage
import OCISlim

/// `--progress`: how progress shows on standard error.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    /// A live display on a terminal, plain lines otherwise.
    case auto
    /// The live display: one line per running step, redrawn in place.
    case tty
    /// One line when a step starts and one when it ends, with its duration and size.
    case plain
    /// Nothing.
    case none

    /// The reporter for this mode, writing to standard error.
    func reporter() -> any ProgressReporter {
        switch self {
        case .none: SilentProgress()
        case .plain: PlainProgress(write: StandardError.write)
        case .tty: TerminalProgress(write: StandardError.write, width: Terminal.columns())
        case .auto: isatty(STDERR_FILENO) == 1 ? ProgressMode.tty.reporter() : ProgressMode.plain.reporter()
        }
    }
}

/// Plain lines, for logs: `ocislim: scan sha256:0123456789ab (12.3 MiB)` when a step starts and
/// `ocislim: scan sha256:0123456789ab done in 1.2 s (12.3 MiB, 10.0 MiB/s)` when it ends.
final class PlainProgress: ProgressReporter, @unchecked Sendable {
    private let write: @Sendable (String) -> Void
    private let clock: @Sendable () -> Double
    // Guarded by `lock`: steps start and end on any task.
    private let lock = NSLock()
    private var startTimes: [ProgressStep: Double] = [:]
    /// Steps shorter than this get no rate: it would be noise over a duration printed as "0.0 s" (a blob hard-linked
    /// from the input "copied" at 1 TiB/s).
    static let shortestRated = 0.05

    init(write: @escaping @Sendable (String) -> Void, clock: @escaping @Sendable () -> Double = Monotonic.seconds) {
        self.write = write
        self.clock = clock
    }

    func started(_ step: ProgressStep) {
        lock.withLock { startTimes[step] = clock() }
        write("ocislim: \(step.verb) \(step.subject)\(step.totalBytes.map { " (\(Sizes.text($0)))" } ?? "")\n")
    }

    func read(_ bytes: Int64, of blob: Digest) {}

    func finished(_ step: ProgressStep) {
        let elapsed = lock.withLock { startTimes.removeValue(forKey: step).map { clock() - $0 } } ?? 0
        var details: [String] = []
        if let total = step.totalBytes {
            details.append(Sizes.text(total))
            if elapsed >= Self.shortestRated { details.append("\(Sizes.text(Int64(Double(total) / elapsed)))/s") }
        }
        let suffix = details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"
        write("ocislim: \(step.verb) \(step.subject) done in \(Durations.text(elapsed))\(suffix)\n")
    }
}

/// The live display on a terminal: one line per running step — bytes done of total, rate, elapsed and what remains
/// — redrawn in place at most five times a second; a step that ends leaves one line above the live ones.
final class TerminalProgress: ProgressReporter, @unchecked Sendable {
    private let write: @Sendable (String) -> Void
    private let clock: @Sendable () -> Double
    private let width: Int
    /// Redraws closer together than this are skipped (a step's start and end always draw).
    static let interval = 0.2

    private struct Running {
        let step: ProgressStep
        let started: Double
        var done: Int64 = 0
    }

    // Guarded by `lock`.
    private let lock = NSLock()
    private var running: [Running] = []
    private var drawnLines = 0
    private var lastDraw = -Double.infinity

    init(
        write: @escaping @Sendable (String) -> Void, width: Int,
        clock: @escaping @Sendable () -> Double = Monotonic.seconds
    ) {
        self.write = write
        self.width = max(40, width)
        self.clock = clock
    }

    func started(_ step: ProgressStep) {
        lock.withLock {
            running.append(Running(step: step, started: clock()))
            redraw(force: true, finished: nil)
        }
    }

    func read(_ bytes: Int64, of blob: Digest) {
        lock.withLock {
            var changed = false
            for index in running.indices where running[index].step.blob == blob && running[index].done < bytes {
                running[index].done = bytes
                changed = true
            }
            if changed { redraw(force: false, finished: nil) }
        }
    }

    func finished(_ step: ProgressStep) {
        lock.withLock {
            guard let index = running.firstIndex(where: { $0.step == step }) else { return }
            let done = running.remove(at: index)
            let elapsed = clock() - done.started
            let size = step.totalBytes.map { " (\(Sizes.text($0)))" } ?? ""
            redraw(force: true, finished: "\(step.verb) \(step.subject) done in \(Durations.text(elapsed))\(size)")
        }
    }

    /// Moves up over the live lines, prints `finished` (if any) where they were, then the live lines again.
    private func redraw(force: Bool, finished: String?) {
        let now = clock()
        guard force || now - lastDraw >= Self.interval else { return }
        lastDraw = now
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)F" : ""
        if let finished { text += "\u{1B}[2K" + fit(finished) + "\n" }
        for item in running { text += "\u{1B}[2K" + fit(line(item, now: now)) + "\n" }
        // Clear what is left of a taller block drawn before.
        let leftover = drawnLines - running.count - (finished == nil ? 0 : 1)
        if leftover > 0 { text += "\u{1B}[J" }
        drawnLines = running.count
        write(text)
    }

    /// `rewrite sha256:0123456789ab  12.3 MiB / 45.6 MiB  27%  10.1 MiB/s  0:03  ~0:08 left`
    private func line(_ item: Running, now: Double) -> String {
        let elapsed = now - item.started
        var parts = ["\(item.step.verb) \(item.step.subject)"]
        if let total = item.step.totalBytes, total > 0 {
            let fraction = min(1, Double(item.done) / Double(total))
            parts.append("\(Sizes.text(item.done)) / \(Sizes.text(total))")
            parts.append("\(Int(fraction * 100))%")
            if elapsed > 0.5 && item.done > 0 {
                let rate = Double(item.done) / elapsed
                parts.append("\(Sizes.text(Int64(rate)))/s")
                parts.append(Durations.clock(elapsed))
                parts.append("~\(Durations.clock(Double(total - item.done) / rate)) left")
            }
        } else {
            parts.append(Durations.clock(elapsed))
        }
        return parts.joined(separator: "  ")
    }

    private func fit(_ line: String) -> String { line.count < width ? line : String(line.prefix(width - 1)) }
}

/// Seconds on a clock that never goes back.
enum Monotonic {
    @Sendable static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// The terminal standard error is, if any.
enum Terminal {
    /// Its width in columns (80 when it does not say).
    static func columns() -> Int { width(of: STDERR_FILENO) ?? 80 }

    /// The width in columns of the terminal `descriptor` is, or nil when it is not a terminal or does not say.
    static func width(of descriptor: Int32) -> Int? {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// How wide a table printed on `descriptor` may be: `COLUMNS` when it is a positive number (as a shell sets it,
    /// or a user to ask for a width), else the terminal's width, else 120 (a file, a pipe).
    static func tableWidth(
        of descriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Int {
        if let columns = environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return width(of: descriptor) ?? 120
    }
}

/// Sizes as progress shows them: `812 B`, `12.3 KiB`, `45.6 MiB`, `1.2 GiB`.
enum Sizes {
    static func text(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// Durations as progress shows them.
enum Durations {
    /// `0.4 s`, `12.3 s`, `2 min 5 s`.
    static func text(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : "\(Int(seconds) / 60) min \(Int(seconds) % 60) s"
    }

    /// `0:03`, `12:45`, `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.isFinite ? max(0, seconds) : 0)
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0
            ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
