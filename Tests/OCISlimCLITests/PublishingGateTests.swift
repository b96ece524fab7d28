import Dispatch
import Foundation
import Testing

@testable import OCISlimCLI

/// A signal and the run's publishing step: a signal never cuts publishing in two, and one that waited for a
/// completed publishing changes nothing.
@Suite struct PublishingGateTests {
    /// Calls `interrupt()` on another thread, as the signal handler does; `result` waits for its answer.
    final class Signal: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var answer: Bool?

        init(_ gate: PublishingGate) {
            DispatchQueue.global().async {
                let interrupts = gate.interrupt()
                self.lock.withLock { self.answer = interrupts }
                self.done.signal()
            }
        }

        /// The answer so far, without waiting.
        var answered: Bool? { lock.withLock { answer } }

        /// Waits (up to 10 s) for the answer.
        func result() -> Bool? {
            _ = done.wait(timeout: .now() + 10)
            return answered
        }
    }

    @Test func aSignalWhileWorkingInterruptsAtOnce() {
        #expect(PublishingGate().interrupt())
    }

    @Test func aSignalWhilePublishingWaitsAndThenChangesNothing() {
        let gate = PublishingGate()
        gate.begin()
        let signal = Signal(gate)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(signal.answered == nil, "the handler must wait while the output is renamed into place")
        gate.end(completed: true)
        #expect(signal.result() == false)
    }

    @Test func aSignalWaitingForAFailedPublishingInterrupts() {
        let gate = PublishingGate()
        gate.begin()
        let signal = Signal(gate)
        gate.end(completed: false)
        #expect(signal.result() == true)
    }

    @Test func aSignalAfterPublishingChangesNothing() {
        let gate = PublishingGate()
        gate.begin()
        gate.end(completed: true)
        #expect(!gate.interrupt())
    }

    /// The handler is removing the staging directory, which makes the run fail: the failure must not end the
    /// process first, with its own status and message.
    @Test func aFailureAfterAnInterruptionWaitsForTheHandlerToEndTheProcess() {
        let gate = PublishingGate()
        #expect(gate.interrupt())
        let ended = DispatchSemaphore(value: 0)
        // A thread of its own: it stays blocked, as the run would until the handler's _exit.
        Thread {
            gate.end(completed: false)
            ended.signal()
        }.start()
        #expect(ended.wait(timeout: .now() + 0.2) == .timedOut)
    }
}
