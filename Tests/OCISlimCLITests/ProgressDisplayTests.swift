import Foundation
import OCIImage
import OCISlim
import Testing

@testable import OCISlimCLI

/// What progress looks like: plain start and end lines for logs, a live block redrawn in place on a terminal.
@Suite struct ProgressDisplayTests {
    /// Text written, and a clock the test moves.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var chunks: [String] = []
        private var now = 100.0

        func write(_ text: String) { lock.withLock { chunks.append(text) } }
        func advance(_ seconds: Double) { lock.withLock { now += seconds } }
        func time() -> Double { lock.withLock { now } }
        var writes: [String] { lock.withLock { chunks } }
        var text: String { writes.joined() }
    }

    static let digest = Digest(sha256Hex: String(repeating: "ab", count: 32))
    static let step = ProgressStep(verb: "scan", subject: "sha256:abababababab", blob: digest, totalBytes: 10 << 20)

    @Test func plainLinesAtTheStartAndEndOfEachStep() {
        let recorder = Recorder()
        let progress = PlainProgress(write: { recorder.write($0) }, clock: { recorder.time() })
        progress.started(Self.step)
        progress.read(5 << 20, of: Self.digest)
        recorder.advance(2)
        progress.finished(Self.step)
        #expect(
            recorder.text == """
                ocislim: scan sha256:abababababab (10.0 MiB)
                ocislim: scan sha256:abababababab done in 2.0 s (10.0 MiB, 5.0 MiB/s)

                """)
        #expect(!recorder.text.contains("\u{1B}"), "no terminal control in logs")
    }

    @Test func aStepTooShortToTimeGetsNoRate() {
        let recorder = Recorder()
        let progress = PlainProgress(write: { recorder.write($0) }, clock: { recorder.time() })
        progress.started(Self.step)
        recorder.advance(0.001)
        progress.finished(Self.step)
        #expect(recorder.writes.last == "ocislim: scan sha256:abababababab done in 0.0 s (10.0 MiB)\n")
    }

    @Test func theTerminalDisplayRedrawsInPlaceAtMostFiveTimesASecond() {
        let recorder = Recorder()
        let progress = TerminalProgress(write: { recorder.write($0) }, width: 120, clock: { recorder.time() })
        progress.started(Self.step)
        recorder.advance(1)
        progress.read(2 << 20, of: Self.digest)
        progress.read(3 << 20, of: Self.digest)  // 0 s later: skipped
        recorder.advance(0.25)
        progress.read(4 << 20, of: Self.digest)
        recorder.advance(1)
        progress.finished(Self.step)
        let writes = recorder.writes
        #expect(writes.count == 4, "start, two throttled redraws, end: \(writes)")
        #expect(
            writes[1]
                == "\u{1B}[1F\u{1B}[2Kscan sha256:abababababab  2.0 MiB / 10.0 MiB  20%  2.0 MiB/s  0:01  ~0:04 left\n")
        #expect(writes[2].hasPrefix("\u{1B}[1F\u{1B}[2Kscan sha256:abababababab  4.0 MiB / 10.0 MiB  40%"))
        #expect(writes[3] == "\u{1B}[1F\u{1B}[2Kscan sha256:abababababab done in 2.2 s (10.0 MiB)\n")
    }

    @Test func concurrentStepsEachHaveALine() {
        let recorder = Recorder()
        let progress = TerminalProgress(write: { recorder.write($0) }, width: 120, clock: { recorder.time() })
        let other = ProgressStep(verb: "rewrite", subject: "sha256:cdcdcdcdcdcd", blob: nil, totalBytes: nil)
        progress.started(Self.step)
        progress.started(other)
        #expect(recorder.writes.last?.components(separatedBy: "\n").filter { !$0.isEmpty }.count == 2)
        progress.finished(Self.step)
        progress.finished(other)
        #expect(recorder.writes.last == "\u{1B}[1F\u{1B}[2Krewrite sha256:cdcdcdcdcdcd done in 0.0 s\n")
    }

    @Test func quietMeansNoProgress() throws {
        let command = try CommandLine.rewrite(["-q", "in", "out"])
        #expect(command.runOptions.reporter is SilentProgress)
        #expect(try CommandLine.rewrite(["--progress", "plain", "in", "out"]).runOptions.reporter is PlainProgress)
        #expect(try CommandLine.audit(["--progress", "tty", "in"]).runOptions.reporter is TerminalProgress)
    }
}
