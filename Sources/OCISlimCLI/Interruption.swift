import Dispatch
import OCIImage

#if canImport(Glibc)
    import Glibc
#endif

/// `SIGINT` and `SIGTERM` end a run by removing its staging directories, then exiting 130 or 143 (128 + the
/// signal), as a shell reports a process killed by them. The handlers run on a dispatch queue, not in signal
/// context, so they may take locks and remove files; the layer work may still be running on other threads, which is
/// why the removal retries entries that appear while it runs.
enum Interruption {
    nonisolated(unsafe) private static let sources: [any DispatchSourceSignal] = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            StagingRegistry.shared.removeAll()
            _exit(128 + number)
        }
        source.resume()
        return source
    }

    /// Installs the handlers (once per process).
    static func removeStagingOnSignals() { _ = sources }
}
