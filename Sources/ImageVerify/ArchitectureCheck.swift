import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether this host can run an image's programs: natively, or through a binfmt_misc emulator registered with the
/// `F` flag (the kernel opens the emulator when it is registered, so it works inside a sandbox whose root is the
/// image, where the emulator's path does not exist).
enum ArchitectureCheck {
    /// How the image's programs run.
    enum Execution: Equatable, Sendable {
        case native
        /// Through the emulator at this path (as registered with binfmt_misc).
        case emulated(interpreter: String)
    }

    /// The host's architecture, as OCI names it (`amd64`, `arm64`…).
    static var host: String {
        var names = utsname()
        uname(&names)
        let machine = withUnsafeBytes(of: names.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return ociNames[machine] ?? machine
    }

    /// Decides how an image for `architecture` runs here; throws when it cannot.
    static func check(
        architecture: String?, reference: String, host: String = host,
        binfmtDirectory: String = "/proc/sys/fs/binfmt_misc"
    ) throws -> Execution {
        guard let architecture, architecture != host else { return .native }
        if let interpreter = emulator(for: architecture, in: binfmtDirectory) {
            return .emulated(interpreter: interpreter)
        }
        throw VerifyError.foreignArchitecture(reference: reference, image: architecture, host: host)
    }

    /// The interpreter of an enabled binfmt_misc entry for `architecture` with the `F` flag.
    static func emulator(for architecture: String, in directory: String) -> String? {
        let machine = qemuNames[architecture] ?? architecture
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        for name in names.sorted() where name.contains(machine) && name != "register" && name != "status" {
            guard let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) else { continue }
            let lines = text.split(separator: "\n").map(String.init)
            guard lines.first == "enabled",
                let flags = lines.first(where: { $0.hasPrefix("flags:") }), flags.dropFirst(6).contains("F"),
                let interpreter = lines.first(where: { $0.hasPrefix("interpreter ") })
            else { continue }
            return String(interpreter.dropFirst("interpreter ".count))
        }
        return nil
    }

    /// uname's machine names → OCI's architecture names.
    static let ociNames = [
        "x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "armv6l": "arm", "i386": "386", "i686": "386",
        "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64", "mips64el": "mips64le",
    ]

    /// OCI's architecture names → the names qemu's binfmt entries carry (`qemu-aarch64`).
    static let qemuNames = [
        "amd64": "x86_64", "arm64": "aarch64", "arm": "arm", "386": "i386", "ppc64le": "ppc64le", "s390x": "s390x",
        "riscv64": "riscv64", "mips64le": "mips64el",
    ]
}
