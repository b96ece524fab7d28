import OCIImage

/// Why `verify` could not compare two images. Each case carries its cause as data; `description` is the one line the
/// command prints.
public enum VerifyError: Error, Equatable, CustomStringConvertible {
    /// The reference holds several images and names none of them.
    case severalImages(reference: String, labels: [String])
    /// The reference holds no image with a filesystem.
    case noImage(reference: String)
    /// The image is for another architecture, and no binfmt emulator the sandbox can use is registered for it.
    case foreignArchitecture(reference: String, image: String, host: String)
    /// A layer entry that names a place outside the image root (`..`).
    case unsafeEntry(layer: Digest, entry: String)
    /// libarchive could not write the tree at all (not one entry: the whole layer).
    case extraction(layer: Digest, entry: String, message: String)
    /// A system call on the private tree failed.
    case tree(path: String, call: String, errno: Int32)
    /// The original image has no Python interpreter to test with.
    case noInterpreter(reference: String)
    /// bubblewrap is not installed, or cannot make a sandbox on this host.
    case sandboxUnavailable(reason: String)
    /// A sandboxed interpreter of the original image could not list its modules.
    case discoveryFailed(interpreter: String, status: Int32, message: String)
    /// The config's `User` names a user or group the image's `/etc/passwd` or `/etc/group` does not list.
    case unknownUser(user: String, name: String, file: String)
    /// The process is being interrupted (`SIGINT`, `SIGTERM`): materialising stops.
    case interrupted

    /// What a message says, in the user's terms.
    public var description: String {
        switch self {
        case .severalImages(let reference, let labels):
            "\(reference) holds \(labels.count) images (\(labels.joined(separator: ", "))); name one "
                + "(oci:DIR:NAME, docker-archive:FILE:NAME:TAG) or pass --platform"
        case .noImage(let reference):
            "\(reference) holds no image with a filesystem"
        case .foreignArchitecture(let reference, let image, let host):
            "\(reference) is a \(image) image and this host runs \(host); no binfmt emulator for \(image) is "
                + "registered with the F flag (for example qemu-user-static), so its interpreter cannot run here"
        case .unsafeEntry(let layer, let entry):
            "layer \(layer): entry \(entry) names a path outside the image root"
        case .extraction(let layer, let entry, let message):
            "layer \(layer): entry \(entry): \(message)"
        case .tree(let path, let call, let errno):
            "\(path): \(call) failed: \(String(cString: strerror(errno)))"
        case .noInterpreter(let reference):
            "\(reference) has no Python interpreter (looked for /usr/bin/python3*, /usr/local/bin/python3* and "
                + "virtual environments' bin/python)"
        case .sandboxUnavailable(let reason):
            "cannot make a bubblewrap sandbox: \(reason)"
        case .discoveryFailed(let interpreter, let status, let message):
            "\(interpreter) could not list its modules (exit status \(status)): \(message)"
        case .unknownUser(let user, let name, let file):
            "the image runs as User \"\(user)\", and its \(file) does not list \(name)"
        case .interrupted:
            "interrupted"
        }
    }

    /// Whether a write into the private tree failed for want of room (`ENOSPC`, `EDQUOT`): another directory may
    /// have it.
    var isOutOfSpace: Bool {
        guard case .tree(_, _, let code) = self else { return false }
        return code == ENOSPC || code == EDQUOT
    }

    /// The exit status: 1 for what the images are, 2 for what this machine could not do, 64 for a selection to make.
    public var exitStatus: Int32 {
        switch self {
        case .severalImages: 64
        case .noImage, .foreignArchitecture, .unsafeEntry, .extraction, .noInterpreter, .discoveryFailed, .unknownUser:
            1
        case .tree, .sandboxUnavailable, .interrupted: 2
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
