import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs work on a thread of its own whose current directory is a given directory, without moving the process's:
/// the thread first stops sharing its filesystem context (`unshare(CLONE_FS)`, Linux), then changes directory. Two
/// images are written at once, each relative to its own root, while the rest of the process keeps its directory.
enum IsolatedDirectory {
    /// Runs `work` with `directory` as the current directory and returns its result.
    static func run<Value: Sendable>(
        in directory: String, _ work: @escaping @Sendable () throws -> Value
    ) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try runHere(in: directory, work) })
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    private static func runHere<Value>(in directory: String, _ work: () throws -> Value) throws -> Value {
        guard let unshare = unshareFunction, unshare(cloneFS) == 0 else {
            throw VerifyError.tree(path: directory, call: "unshare(CLONE_FS)", errno: errno)
        }
        guard chdir(directory) == 0 else { throw VerifyError.tree(path: directory, call: "chdir", errno: errno) }
        return try work()
    }

    /// `CLONE_FS` (linux/sched.h): the current directory, root and umask.
    private static let cloneFS: Int32 = 0x0000_0200

    /// glibc's `unshare`, which Swift's Glibc module leaves out (it is declared for `_GNU_SOURCE` only).
    private static let unshareFunction: (@convention(c) (Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "unshare") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()
}
