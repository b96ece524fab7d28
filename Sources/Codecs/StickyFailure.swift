/// A codec that, once it has failed, keeps failing the same way: a half-written stream must not be continued.
protocol StickyFailure: AnyObject {
    /// The first error the codec met; every later call throws it.
    var failure: (any Error)? { get set }
}

extension StickyFailure {
    /// Runs `body`, remembering its error before rethrowing it.
    func recordingFailure(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            failure = error
            throw error
        }
    }
}
