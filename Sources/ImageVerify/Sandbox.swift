import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A bubblewrap sandbox over a materialised image: the image is the read-only root, with a fresh `/dev`, `/proc` and
/// private `/tmp`, every namespace unshared (so no network but a loopback that is down), its own session, killed with
/// this process, and an environment of the image's `Env` only. Nothing of the image ever runs outside one.
struct Sandbox: Sendable {
    /// The image root on the host.
    let root: String
    let runtime: RuntimeConfig
    /// Where standard input and output files of the runs go (outside the image root).
    let scratch: String
    /// bubblewrap's path.
    let bubblewrap: String

    /// What a sandboxed command did.
    struct Run: Sendable {
        var status: Int32
        var signaled: Bool
        var timedOut: Bool
        var output: [UInt8]
        var errors: [UInt8]

        var errorText: String { String(decoding: errors, as: UTF8.self) }

        /// The failure bubblewrap itself reports (`bwrap: …`), as opposed to one of the command it runs.
        var bubblewrapFailure: String? {
            guard status != 0 else { return nil }
            return errorText.split(separator: "\n").first { $0.hasPrefix("bwrap: ") }.map(String.init)
        }
    }

    /// Finds bubblewrap on the PATH (or the usual places).
    static func findBubblewrap() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/bwrap" } + ["/usr/bin/bwrap", "/usr/local/bin/bwrap"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw VerifyError.sandboxUnavailable(reason: "bwrap is not installed (Debian: apt-get install bubblewrap)")
        }
        return found
    }

    /// bubblewrap's arguments for running `command` (a path inside the image and its arguments).
    func arguments(_ command: [String]) -> [String] {
        var arguments = [
            "--ro-bind", root, "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--unshare-all",
            "--die-with-parent", "--new-session", "--clearenv",
        ]
        for (name, value) in runtime.processEnvironment { arguments += ["--setenv", name, value] }
        // bubblewrap cannot make a missing directory in a read-only root; a runtime would, empty, so `/` is as good.
        var isDirectory: ObjCBool = false
        let directory =
            FileManager.default.fileExists(atPath: root + runtime.workingDirectory, isDirectory: &isDirectory)
                && isDirectory.boolValue ? runtime.workingDirectory : "/"
        arguments += ["--chdir", directory, "--"] + command
        return arguments
    }

    /// Runs `command` with `input` on standard input; kills the sandbox after `timeout` seconds.
    func run(_ command: [String], input: [UInt8], timeout: Double) async throws -> Run {
        let name = scratch + "/" + UUID().uuidString
        let files = (input: name + ".in", output: name + ".out", errors: name + ".err")
        defer { for file in [files.input, files.output, files.errors] { unlink(file) } }
        guard FileManager.default.createFile(atPath: files.input, contents: Data(input)),
            FileManager.default.createFile(atPath: files.output, contents: nil),
            FileManager.default.createFile(atPath: files.errors, contents: nil)
        else { throw VerifyError.tree(path: name, call: "create", errno: errno) }
        let inputHandle = try FileHandle(forReadingFrom: URL(fileURLWithPath: files.input))
        let outputHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: files.output))
        let errorsHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: files.errors))
        defer {
            try? inputHandle.close()
            try? outputHandle.close()
            try? errorsHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bubblewrap)
        process.arguments = arguments(command)
        process.environment = [:]
        process.standardInput = inputHandle
        process.standardOutput = outputHandle
        process.standardError = errorsHandle
        let ended = ProcessEnd()
        // Started and awaited on a thread of its own that lives as long as the sandbox: --die-with-parent has the
        // kernel kill bubblewrap when the *thread* that started it ends (PR_SET_PDEATHSIG), and the threads of the
        // concurrency pool come and go; started from one of them, a long sandbox was killed at random.
        let bubblewrap = bubblewrap
        try await withCheckedThrowingContinuation { (started: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try process.run()
                } catch {
                    started.resume(
                        throwing: VerifyError.sandboxUnavailable(reason: "cannot start \(bubblewrap): \(error)"))
                    return
                }
                started.resume()
                process.waitUntilExit()
                ended.signal()
            }
            thread.start()
        }
        let timedOut = await ended.wait(timeout: timeout) {
            kill(process.processIdentifier, SIGKILL)
        }
        return Run(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut, output: Array((try? Data(contentsOf: URL(fileURLWithPath: files.output))) ?? Data()),
            errors: Array((try? Data(contentsOf: URL(fileURLWithPath: files.errors))) ?? Data())
        )
    }
}

/// The end of a child process, awaited with a time limit.
final class ProcessEnd: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var ended = false
    private var waiter: CheckedContinuation<Void, Never>?

    /// Called from the process's termination handler.
    func signal() {
        let waiter = lock.withLock {
            ended = true
            defer { self.waiter = nil }
            return self.waiter
        }
        waiter?.resume()
    }

    /// Waits for the end; after `timeout` seconds calls `kill` once and goes on waiting. Returns whether it had to.
    func wait(timeout: Double, kill: @escaping @Sendable () -> Void) async -> Bool {
        let killer = Task {
            try await Task.sleep(nanoseconds: UInt64(max(timeout, 0.001) * 1e9))
            kill()
            return true
        }
        await withCheckedContinuation { continuation in
            let done = lock.withLock {
                if ended { return true }
                waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
        killer.cancel()
        return (try? await killer.value) ?? false
    }
}
