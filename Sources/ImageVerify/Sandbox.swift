import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A bubblewrap sandbox over a materialised image: the image is the read-only root, with a fresh `/dev`, `/proc` and
/// private `/tmp`, every namespace unshared (so no network but a loopback that is down), its own session, killed with
/// this process, an environment of the image's `Env` only, and the image's `User`. Nothing of the image ever runs
/// outside one.
///
/// A `User` other than root is taken two ways. Run as root, `verify` starts bubblewrap through util-linux's `setpriv`
/// as that user and group (no supplementary groups), so the kernel checks every file of the tree against the image's
/// real owners and modes, as in a container: a file the rewrite left readable by root only fails to import. Run as
/// another user, which cannot change its uid, bubblewrap maps it to the image's uid and gid in a user namespace
/// (`--uid`, `--gid`): the process sees its uid, but the files the caller owns look like the image user's.
struct Sandbox: Sendable {
    /// The image root on the host.
    let root: String
    let runtime: RuntimeConfig
    /// Where standard input and output files of the runs go (outside the image root).
    let scratch: String
    /// bubblewrap's path.
    let bubblewrap: String
    /// Whom the image's processes run as.
    var user = ImageUser.root
    /// `setpriv`'s path, when this process is root and may start bubblewrap as `user`.
    var setpriv: String?

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
        guard let found = findProgram("bwrap") else {
            throw VerifyError.sandboxUnavailable(reason: "bwrap is not installed (Debian: apt-get install bubblewrap)")
        }
        return found
    }

    /// The path of the host program `name` on the PATH (or in /usr/bin, /usr/local/bin), if any.
    static func findProgram(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates =
            path.split(separator: ":").map { "\($0)/\(name)" } + ["/usr/bin/\(name)", "/usr/local/bin/\(name)"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The whole command line that runs `command` in the sandbox: bubblewrap's, behind `setpriv`'s when it starts
    /// bubblewrap as the image's user.
    func commandLine(_ command: [String]) -> [String] {
        guard user != .root, let setpriv else { return [bubblewrap] + arguments(command) }
        return [setpriv, "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--", bubblewrap]
            + arguments(command)
    }

    /// bubblewrap's arguments for running `command` (a path inside the image and its arguments).
    func arguments(_ command: [String]) -> [String] {
        var arguments = [
            "--ro-bind", root, "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--unshare-all",
            "--die-with-parent", "--new-session", "--clearenv",
        ]
        if user != .root && setpriv == nil {
            arguments += ["--unshare-user", "--uid", "\(user.uid)", "--gid", "\(user.gid)"]
        }
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
        let arguments = commandLine(command)
        // Started, timed and reaped on a thread of its own that lives as long as the sandbox: --die-with-parent has
        // the kernel kill bubblewrap when the *thread* that started it ends (PR_SET_PDEATHSIG), and the threads of
        // the concurrency pool come and go (started from one of them, a long sandbox was killed at random); and the
        // time limit holds even when the pool is busy. (Foundation's Process, awaited there, sometimes never saw its
        // child end: posix_spawn and waitpid instead.)
        let (waitStatus, timedOut) = try await withCheckedThrowingContinuation {
            (ended: CheckedContinuation<(Int32, Bool), any Error>) in
            let thread = Thread {
                switch Self.spawn(arguments, input: files.input, output: files.output, errors: files.errors) {
                case .failure(let error): ended.resume(throwing: error)
                case .success(let pid): ended.resume(returning: Self.reap(pid, timeout: timeout))
                }
            }
            thread.start()
        }
        // The wait status: the signal in the low 7 bits, else the exit status in the next byte.
        let signal = waitStatus & 0x7f
        return Run(
            status: signal != 0 ? signal : (waitStatus >> 8) & 0xff, signaled: signal != 0, timedOut: timedOut,
            output: Array((try? Data(contentsOf: URL(fileURLWithPath: files.output))) ?? Data()),
            errors: Array((try? Data(contentsOf: URL(fileURLWithPath: files.errors))) ?? Data())
        )
    }

    /// Waits for `pid` to end, killing it once `timeout` seconds have passed; returns its wait status and whether
    /// it was killed. Polls, so that nothing but this thread is needed.
    private static func reap(_ pid: pid_t, timeout: Double) -> (Int32, Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var killed = false
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno != EINTR) { return (status, killed) }
            if !killed && Date() >= deadline {
                kill(pid, SIGKILL)
                killed = true
            }
            usleep(10_000)
        }
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
        // `verify` ignores SIGINT and SIGTERM (its handlers run on a queue) and SIGPIPE (a closed pipe is an error it
        // reports); its children must not inherit that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
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
