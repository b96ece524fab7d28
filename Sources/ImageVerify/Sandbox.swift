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
        for (path, contents) in [(files.input, input), (files.output, []), (files.errors, [])] {
            guard FileManager.default.createFile(atPath: path, contents: Data(contents), attributes: nil) else {
                throw VerifyError.tree(path: path, call: "create", errno: errno)
            }
        }
        let arguments = [bubblewrap] + arguments(command)
        let ended = ProcessEnd()
        // Started and awaited on a thread of its own that lives as long as the sandbox: --die-with-parent has the
        // kernel kill bubblewrap when the *thread* that started it ends (PR_SET_PDEATHSIG), and the threads of the
        // concurrency pool come and go; started from one of them, a long sandbox was killed at random. (Foundation's
        // Process, awaited on such a thread, sometimes never saw its child end: posix_spawn and waitpid instead.)
        let pid: pid_t = try await withCheckedThrowingContinuation { started in
            let thread = Thread {
                switch Self.spawn(arguments, input: files.input, output: files.output, errors: files.errors) {
                case .failure(let error):
                    started.resume(throwing: error)
                case .success(let pid):
                    started.resume(returning: pid)
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    ended.signal(status: status)
                }
            }
            thread.start()
        }
        let timedOut = await ended.wait(timeout: timeout) { kill(pid, SIGKILL) }
        // The wait status: the signal in the low 7 bits, else the exit status in the next byte.
        let signal = ended.status & 0x7f
        return Run(
            status: signal != 0 ? signal : (ended.status >> 8) & 0xff, signaled: signal != 0, timedOut: timedOut,
            output: Array((try? Data(contentsOf: URL(fileURLWithPath: files.output))) ?? Data()),
            errors: Array((try? Data(contentsOf: URL(fileURLWithPath: files.errors))) ?? Data())
        )
    }

    /// Starts `arguments` (an absolute path first) with an empty environment, default signal handling and these files
    /// as standard input, output and error.
    private static func spawn(
        _ arguments: [String], input: String, output: String, errors: String
    ) -> Result<pid_t, VerifyError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_TRUNC, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_TRUNC, 0)
        // `verify` ignores SIGINT and SIGTERM (its handlers run on a queue); its children must not inherit that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var environment: [UnsafeMutablePointer<CChar>?] = [nil]
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, &environment)
        guard result == 0 else {
            return .failure(
                .sandboxUnavailable(reason: "cannot start \(arguments[0]): \(String(cString: strerror(result)))"))
        }
        return .success(pid)
    }
}

/// The end of a child process, awaited with a time limit.
final class ProcessEnd: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var ended = false
    private var waitStatus: Int32 = 0
    private var waiter: CheckedContinuation<Void, Never>?

    /// The wait status, once ended.
    var status: Int32 { lock.withLock { waitStatus } }

    /// Called by the thread that reaped the process.
    func signal(status: Int32) {
        let waiter = lock.withLock {
            ended = true
            waitStatus = status
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
