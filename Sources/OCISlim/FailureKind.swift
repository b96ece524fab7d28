import ByteIO
import OCIImage

#if canImport(Glibc)
    import Glibc
#endif

/// What kind of failure an error is, for the exit status: the user's input is wrong (1), the machine could not do
/// the work and a retry may succeed (2), a policy refused the work (3), or the command line asks for something
/// impossible (64).
public enum FailureKind: Sendable, Equatable {
    /// Exit 1: the image is invalid or unsupported; running again will fail the same way.
    case invalidInput
    /// Exit 2: an I/O or resource failure (disk full, I/O error, out of descriptors, output busy); retryable.
    case resource
    /// Exit 3: refused by policy (`--signatures refuse` and signatures the rewrite would invalidate, or the output
    /// could not hold).
    case policy
    /// Exit 64: the options do not fit this image or these paths.
    case usage

    /// The kind of `error`, looking through the pipeline's wrappers to the cause.
    public init(_ error: any Error) {
        switch error {
        case RewriteError.layer(_, let underlying): self.init(underlying)
        case RewriteError.outputFull: self = .resource
        case let error as ByteIOError: self = Self.kind(of: error)
        case OCIError.output, OCIError.outputBusy: self = .resource
        case OCIError.outputOverlapsInput: self = .usage
        case is CompressionError, is ReferenceError, is DestinationError: self = .usage
        case is CompileError: self = .resource
        case ReferrerError.signaturesRefused, ReferrerError.signaturesLost: self = .policy
        default: self = .invalidInput
        }
    }

    /// The status `ocislim` exits with.
    public var exitStatus: Int32 {
        switch self {
        case .invalidInput: 1
        case .resource: 2
        case .policy: 3
        case .usage: 64
        }
    }

    /// Writes fail because of the machine; opens and reads fail because of the machine only for these causes,
    /// otherwise because of what the input is (a missing file, a directory where a blob should be).
    private static func kind(of error: ByteIOError) -> FailureKind {
        if case .write = error { return .resource }
        guard let code = error.errno else { return .invalidInput }
        let machine: Set<Int32> = [EIO, ENOSPC, EDQUOT, ENOMEM, EMFILE, ENFILE, EROFS, EACCES, EPERM, EAGAIN, EBUSY]
        return machine.contains(code) ? .resource : .invalidInput
    }
}

extension RewriteError {
    /// The system's `errno` at the root of `error`, looking through the layer wrapper.
    static func rootErrno(_ error: any Error) -> Int32? {
        switch error {
        case RewriteError.layer(_, let underlying): rootErrno(underlying)
        case let error as ByteIOError: error.errno
        default: nil
        }
    }
}
