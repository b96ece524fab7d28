import Foundation
import OCIImage
import TestSupport
import Testing

@testable import ImageVerify

/// What `verify` decides before anything runs: the interpreters of a tree, whether the host can run the image, which
/// image of a reference, and the messages when it cannot.
@Suite struct DiscoveryTests {
    // MARK: Interpreters

    @Test func findsEachProgramOnceAndEveryVirtualEnvironment() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let root = fixture.path("root")
        let files = FileManager.default
        for directory in ["usr/bin", "usr/local/bin", "opt/venv/bin", "srv/app/.venv/bin"] {
            try files.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        }
        for program in ["usr/bin/python3.11", "usr/local/bin/python3.12", "usr/bin/python3-config"] {
            try files.createFile(atPath: "\(root)/\(program)", contents: Data(), attributes: [.posixPermissions: 0o755])
        }
        try files.createSymbolicLink(atPath: "\(root)/usr/bin/python3", withDestinationPath: "python3.11")
        try files.createSymbolicLink(atPath: "\(root)/opt/venv/bin/python", withDestinationPath: "/usr/bin/python3")
        try files.createSymbolicLink(atPath: "\(root)/srv/app/.venv/bin/python", withDestinationPath: "/usr/gone")
        try files.createSymbolicLink(atPath: "\(root)/srv/app/.venv/bin/python3", withDestinationPath: "python")
        for venv in ["opt/venv", "srv/app/.venv"] {
            files.createFile(atPath: "\(root)/\(venv)/pyvenv.cfg", contents: Data("home = /usr/bin\n".utf8))
        }
        #expect(
            InterpreterFinder(root: root).interpreters() == [
                "/usr/bin/python3", "/usr/local/bin/python3.12", "/opt/venv/bin/python",
            ])
    }

    @Test(arguments: [
        ("python3", true), ("python3.11", true), ("python3.12", true), ("python3-config", false),
        ("python3.11-config", false), ("python3.", false), ("python", false), ("python2.7", false),
    ])
    func interpreterNames(name: String, matches: Bool) {
        #expect(InterpreterFinder.isInterpreterName(name) == matches)
    }

    // MARK: Architecture

    @Test func sameArchitectureRunsNatively() throws {
        #expect(try ArchitectureCheck.check(architecture: "amd64", reference: "in", host: "amd64") == .native)
        #expect(try ArchitectureCheck.check(architecture: nil, reference: "in", host: "amd64") == .native)
    }

    @Test func foreignArchitectureRunsThroughAnEmulatorWithTheFixFlag() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let binfmt = fixture.path("binfmt")
        try FileManager.default.createDirectory(atPath: binfmt, withIntermediateDirectories: false)
        try Data("enabled\n".utf8).write(to: URL(fileURLWithPath: binfmt + "/status"))
        let entry = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\n"
        try Data(entry.utf8).write(to: URL(fileURLWithPath: binfmt + "/qemu-aarch64"))
        #expect(
            try ArchitectureCheck.check(architecture: "arm64", reference: "in", host: "amd64", binfmtDirectory: binfmt)
                == .emulated(interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"))
    }

    @Test func foreignArchitectureWithoutAnUsableEmulatorIsRefused() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let binfmt = fixture.path("binfmt")
        try FileManager.default.createDirectory(atPath: binfmt, withIntermediateDirectories: false)
        // Without F the kernel looks the emulator up inside the sandbox's root, where it is not.
        let entry = "enabled\ninterpreter /usr/bin/qemu-aarch64\nflags: OC\noffset 0\n"
        try Data(entry.utf8).write(to: URL(fileURLWithPath: binfmt + "/qemu-aarch64"))
        #expect(throws: VerifyError.foreignArchitecture(reference: "oci:in", image: "arm64", host: "amd64")) {
            try ArchitectureCheck.check(
                architecture: "arm64", reference: "oci:in", host: "amd64", binfmtDirectory: binfmt)
        }
        #expect(
            VerifyError.foreignArchitecture(reference: "oci:in", image: "arm64", host: "amd64").description
                == "oci:in is a arm64 image and this host runs amd64; no binfmt emulator for arm64 is registered "
                + "with the F flag (for example qemu-user-static), so its interpreter cannot run here")
    }

    // MARK: Which image

    @Test func severalImagesNeedASelection() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let layout = try fixture.writeLayout(
            "layout", images: [[FixtureLayer(entries: [.text("a", "1")])], [FixtureLayer(entries: [.text("a", "2")])]])
        #expect(throws: VerifyError.severalImages(reference: layout, labels: ["tag0 linux/arch0", "tag1 linux/arch1"]))
        {
            try ImageUnderTest.open(layout, platforms: [])
        }
        #expect(
            VerifyError.severalImages(reference: "oci:x", labels: ["a", "b"]).description
                == "oci:x holds 2 images (a, b); name one (oci:DIR:NAME, docker-archive:FILE:NAME:TAG) or pass "
                + "--platform")
        let chosen = try ImageUnderTest.open("oci:\(layout):tag1", platforms: [])
        #expect(chosen.layers.count == 1)
    }

    @Test func runtimeConfigReadsEnvCommandAndWorkingDirectory() throws {
        let config = """
            {"architecture":"arm64","config":{"Env":["A=1","PATH=/bin"],"Entrypoint":["/e"],"Cmd":["c"],\
            "WorkingDir":"/app","User":"app:staff"},"rootfs":{"type":"layers","diff_ids":[]}}
            """
        let runtime = try RuntimeConfig(configBytes: Array(config.utf8), what: "config")
        #expect(runtime.environment == ["A=1", "PATH=/bin"])
        #expect(runtime.entrypoint + runtime.command == ["/e", "c"])
        #expect(runtime.workingDirectory == "/app")
        #expect(runtime.user == "app:staff")
        #expect(runtime.architecture == "arm64")
        #expect(runtime.processEnvironment.map(\.name) == ["A", "PATH", "HOME"])
    }

    // MARK: The whole run, as far as it goes without Python

    @Test(.enabled(if: Tool.exists("bwrap"), "bubblewrap is not installed"))
    func imageWithoutPythonIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let layout = try fixture.writeLayout("layout", images: [[FixtureLayer(entries: [.text("etc/motd", "hi")])]])
        let options = VerifyOptions(original: layout, rewritten: layout, jobs: 1)
        await #expect(throws: VerifyError.noInterpreter(reference: layout)) {
            _ = try await ImageVerifier(options: options).run()
        }
    }

    @Test func chunksShareTheWork() {
        let modules = (0..<100).map { "m\($0)" }
        let chunks = ImageVerifier.chunks(modules, jobs: 2)
        #expect(chunks.flatMap { $0 } == modules)
        #expect(chunks.count == 8)
        #expect(ImageVerifier.chunks([], jobs: 4).isEmpty)
        #expect(ImageVerifier.median([3, 1, 2]) == 2)
        #expect(ImageVerifier.median([4, 1, 2, 3]) == 2.5)
    }
}
