import Foundation
import TestSupport
import Testing

@testable import ImageVerify

/// The bubblewrap sandbox, run for real over the host's root (read-only, as an image's would be) with `/bin/sh`:
/// no network, nothing written outside its private `/tmp`, only the image's environment, and killed on time.
@Suite(.enabled(if: Tool.exists("bwrap"), "bubblewrap is not installed"))
struct SandboxTests {
    private static func sandbox(
        _ fixture: LayoutFixture, runtime: RuntimeConfig = RuntimeConfig()
    ) throws -> Sandbox {
        try FileManager.default.createDirectory(atPath: fixture.path("io"), withIntermediateDirectories: false)
        return Sandbox(
            root: "/", runtime: runtime, scratch: fixture.path("io"), bubblewrap: try Sandbox.findBubblewrap())
    }

    @Test func hasNoNetworkButADownLoopback() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let run = try await Self.sandbox(fixture).run(
            ["/bin/sh", "-c", "cat /proc/net/dev; cat /sys/class/net/lo/operstate 2>/dev/null"], input: [],
            timeout: 30)
        #expect(run.status == 0, "\(run.errorText)")
        let interfaces = String(decoding: run.output, as: UTF8.self).split(separator: "\n").dropFirst(2)
            .filter { $0.contains(":") }.map { $0.split(separator: ":")[0].trimmingCharacters(in: .whitespaces) }
        #expect(interfaces == ["lo"])
    }

    @Test func cannotWriteOutsideItsPrivateTmp() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let target = fixture.path("escaped")
        let script = """
            echo inside > /tmp/probe && cat /tmp/probe
            echo x > \(target) 2>/dev/null || echo refused-fixture
            echo x > /escaped 2>/dev/null || echo refused-root
            """
        let run = try await Self.sandbox(fixture).run(["/bin/sh", "-c", script], input: [], timeout: 30)
        #expect(String(decoding: run.output, as: UTF8.self) == "inside\nrefused-fixture\nrefused-root\n")
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(
            !FileManager.default.fileExists(atPath: "/tmp/probe")
                || (try? String(contentsOfFile: "/tmp/probe", encoding: .utf8)) != "inside\n")
    }

    @Test func seesOnlyTheImageEnvironment() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let runtime = RuntimeConfig(environment: ["GREETING=hello", "PATH=/usr/bin:/bin"])
        let run = try await Self.sandbox(fixture, runtime: runtime).run(
            ["/bin/sh", "-c", "env | sort"], input: [], timeout: 30)
        let names = String(decoding: run.output, as: UTF8.self).split(separator: "\n").map {
            $0.split(separator: "=")[0]
        }
        #expect(Set(names).isSubset(of: ["GREETING", "PATH", "HOME", "PWD", "SHLVL", "_"]))
        #expect(String(decoding: run.output, as: UTF8.self).contains("GREETING=hello\n"))
    }

    /// The image's `User`: the process runs as that uid and gid. Started by root, bubblewrap runs as that user
    /// (`setpriv`), so a file of the root that only root may read stays unreadable, as in a container.
    @Test func runsAsTheImageUser() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        var sandbox = try Self.sandbox(fixture)
        sandbox.user = ImageUser(uid: 65534, gid: 65533)
        if geteuid() == 0 { sandbox.setpriv = Sandbox.findProgram("setpriv") }
        #expect(sandbox.commandLine(["/bin/true"]).first == (sandbox.setpriv ?? sandbox.bubblewrap))
        let run = try await sandbox.run(
            ["/bin/sh", "-c", "id -u; id -g; cat /etc/shadow > /dev/null 2>&1 || echo refused"], input: [], timeout: 30)
        #expect(run.status == 0, "\(run.errorText)")
        let expected = geteuid() == 0 && sandbox.setpriv != nil ? "65534\n65533\nrefused\n" : "65534\n65533\n"
        #expect(String(decoding: run.output, as: UTF8.self).hasPrefix(expected))
    }

    /// Killed, not ended: `sleep 30` would exit 0 on its own. (No bound on the wall time: under the whole test suite
    /// the pool that resumes this test is busy for a minute.)
    @Test func isKilledAtItsTimeLimit() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let run = try await Self.sandbox(fixture).run(["/bin/sh", "-c", "sleep 30"], input: [], timeout: 0.5)
        #expect(run.timedOut)
        #expect(run.signaled && run.status == SIGKILL)
    }

    /// bubblewrap's --die-with-parent kills the sandbox when the thread that started it ends; sandboxes outliving the
    /// concurrency pool's idle threads must still finish.
    @Test func outlivesTheThreadsOfTheConcurrencyPool() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let sandbox = try Self.sandbox(fixture)
        let runs = try await withThrowingTaskGroup(of: Sandbox.Run.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await sandbox.run(["/bin/sh", "-c", "sleep 8; echo done"], input: [], timeout: 60)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for run in runs {
            #expect(!run.signaled && run.status == 0, "status \(run.status), signaled \(run.signaled)")
            #expect(String(decoding: run.output, as: UTF8.self) == "done\n")
        }
    }

    @Test func reportsExitStatusAndSignal() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let sandbox = try Self.sandbox(fixture)
        let exited = try await sandbox.run(["/bin/sh", "-c", "echo oops >&2; exit 3"], input: [], timeout: 30)
        #expect(exited.status == 3 && !exited.signaled && !exited.timedOut)
        #expect(exited.errorText == "oops\n")
        let killed = try await sandbox.run(["/bin/sh", "-c", "sleep 30"], input: [], timeout: 0.3)
        #expect(killed.signaled && killed.status == SIGKILL && killed.timedOut)
    }

    @Test func passesStandardInput() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let run = try await Self.sandbox(fixture).run(["/bin/cat"], input: Array("to the sandbox".utf8), timeout: 30)
        #expect(String(decoding: run.output, as: UTF8.self) == "to the sandbox")
    }

    @Test func argumentsAreTheDocumentedOnes() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        var runtime = RuntimeConfig(environment: ["A=1"])
        runtime.workingDirectory = "/no/such/directory"
        let arguments = try Self.sandbox(fixture, runtime: runtime).arguments(["/usr/bin/python3", "-"])
        #expect(
            arguments == [
                "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--unshare-all",
                "--die-with-parent", "--new-session", "--clearenv", "--setenv", "A", "1", "--setenv", "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--setenv", "HOME", "/root",
                "--chdir", "/", "--", "/usr/bin/python3", "-",
            ])
    }
}

/// The embedded probe, run by the host's Python (outside any sandbox: the script is ours, the modules the host's).
@Suite(.enabled(if: Tool.exists("python3"), "no python3 on this host"))
struct ProbeScriptTests {
    @Test func importsEachModuleAndReportsTheException() throws {
        let run = try Tool.run(
            ["python3", "-", "import", "20", "json", "no_such_module_for_ocislim"],
            input: Array(ProbeScript.source.utf8))
        #expect(run.status == 0, "\(run.errors)")
        let outcomes = try run.text.split(separator: "\n").map {
            try JSONDecoder().decode(ModuleProbe.Outcome.self, from: Data($0.utf8))
        }
        #expect(outcomes.map(\.name) == ["json", "no_such_module_for_ocislim"])
        #expect(outcomes.map(\.ok) == [true, false])
        #expect(outcomes[1].error == "ModuleNotFoundError: No module named 'no_such_module_for_ocislim'")
    }

    @Test func aHangingImportTimesOut() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        try Data("import time\ntime.sleep(60)\n".utf8).write(to: URL(fileURLWithPath: fixture.path("hangs.py")))
        let run = try Tool.run(
            ["python3", "-", "import", "0.5", "hangs"], input: Array(ProbeScript.source.utf8),
            environment: ["PYTHONPATH": fixture.root, "PATH": "/usr/bin:/bin"])
        let outcome = try JSONDecoder().decode(ModuleProbe.Outcome.self, from: Data(run.output))
        #expect(outcome.error == "timed out after 0.5 s")
    }

    @Test func discoversTheStandardLibrary() throws {
        let run = try Tool.run(["python3", "-", "discover"], input: Array(ProbeScript.source.utf8))
        let listing = try JSONDecoder().decode(ModuleProbe.Listing.self, from: Data(run.output))
        let stdlib = try #require(listing.trees.first)
        #expect(stdlib.name == "stdlib")
        #expect(stdlib.modules.contains("json"))
        #expect(!stdlib.modules.contains("antigravity"))
        #expect(!stdlib.modules.contains("test"))
        // Submodules, found on disk; never a program's __main__ or a package's tests.
        #expect(stdlib.modules.contains("email.mime.text"))
        #expect(!stdlib.modules.contains("unittest.__main__"))
        #expect(!stdlib.modules.contains { $0.hasPrefix("ctypes.test") || $0.hasPrefix("tkinter.") })
        #expect(stdlib.path != nil)
    }
}
