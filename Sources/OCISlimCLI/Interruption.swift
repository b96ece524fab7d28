import Dispatch
import Foundation
import OCIImage

#if canImport(Glibc)
    import Glibc
#endif

/// `SIGINT` and `SIGTERM` end a run by removing its staging directories and temp files, then exiting 130 or 143
/// (128 + the signal), as a shell reports a process killed by them. The handlers run on a dispatch queue, not in
/// signal context, so they may take locks and remove files; the layer work may still be running on other threads,
/// which is why the removal retries entries that appear while it runs. A signal that comes while the run publishes
/// its results waits for that step (`PublishingGate`).
enum Interruption {
    /// The run's publishing step, as the handlers see it.
    static let publishing = PublishingGate()

    nonisolated(unsafe) private static let sources: [any DispatchSourceSignal] = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            // Everything is in place: the run ends as if no signal had come.
            guard publishing.interrupt() else { return }
            StagingRegistry.shared.removeAll()
            _exit(128 + number)
        }
        source.resume()
        return source
    }

    /// Installs the handlers (once per process).
    static func removeStagingOnSignals() {
        ignoreBrokenPipes()
        _ = sources
    }

    /// A reader that goes away (`ocislim rewrite … docker-archive:- | head`, a log pipe that closes) makes the next
    /// write fail with `EPIPE` instead of killing the process with `SIGPIPE`, which would leave the staging directories
    /// behind: the run then fails as an I/O error (exit 2), removes what it staged, and says so.
    static func ignoreBrokenPipes() { signal(SIGPIPE, SIG_IGN) }
}

/// The last step of a run, moving its output and report into place, made whole with respect to an interruption.
///
/// Removing a staging directory while it is being renamed to the output would publish what is left of it (blobs
/// missing) and exit 143 over it; a signal between the output's rename and the report's would exit 143 over a
/// complete output with no report. So a signal that comes while the run publishes waits: if publishing completes,
/// the run exits 0 as if the signal had not come (every result is in place, a job controller has nothing to retry);
/// if it fails, the signal proceeds. A signal before publishing starts interrupts at once, and publishing then never
/// starts.
final class PublishingGate: @unchecked Sendable {
    /// Where the run is.
    private enum Phase { case working, publishing, published, interrupted }

    // Guarded by `condition`: the run's task and the signal handler's queue both change it.
    private let condition = NSCondition()
    private var phase = Phase.working

    /// Publishing starts. When an interruption has begun, this never returns: the signal handler is removing the
    /// staging directories and ends the process, and nothing may be published meanwhile.
    func begin() {
        condition.lock()
        while phase == .interrupted { condition.wait() }
        phase = .publishing
        condition.unlock()
    }

    /// Publishing ended, or the run failed before it: `completed` when the output and the report are in place (a
    /// signal then changes nothing), false when it failed (a signal waiting for it proceeds). A failure after an
    /// interruption has begun is most likely the removal's doing: this then never returns, so that the run ends with
    /// the handler's 130 or 143, not with the failure's status and message.
    func end(completed: Bool) {
        condition.lock()
        while phase == .interrupted { condition.wait() }
        phase = completed ? .published : .working
        condition.broadcast()
        condition.unlock()
    }

    /// For the signal handler: waits while the run publishes; true when the run is to be interrupted (it had not
    /// started publishing, or publishing failed), false when everything is published.
    func interrupt() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while phase == .publishing { condition.wait() }
        if phase == .published { return false }
        phase = .interrupted
        return true
    }
}
