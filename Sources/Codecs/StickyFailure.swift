/// A codec that, once it has failed, keeps failing the same way: a half-written or half-read stream must not be
/// continued.
protocol StickyFailure: AnyObject {
    /// The first error the codec met; every later call throws it.
    var failure: (any Error)? { get set }
}

extension StickyFailure {
    /// Runs `body`, remembering its error before rethrowing it.
    func recordingFailure<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch {
            failure = error
            throw error
        }
    }
}
