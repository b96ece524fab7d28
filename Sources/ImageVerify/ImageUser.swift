#if canImport(Glibc)
    import Glibc
#endif

/// The user an image's processes run as: its config's `User` (`name`, `uid`, `name:group`, `uid:gid`, …) resolved
/// as a container runtime resolves it, through the image's own `/etc/passwd` and `/etc/group`, never the host's.
/// A name the image does not list is an error, as it is when a runtime starts the container.
struct ImageUser: Sendable, Equatable {
    var uid: UInt32
    var gid: UInt32

    /// Root, as an image without `User` runs.
    static let root = ImageUser(uid: 0, gid: 0)

    /// Resolves `user` (the config's `User`; empty for root) against the image's account files, given as their text
    /// (nil when the image has none).
    static func resolve(_ user: String, passwd: String?, group: String?) throws -> ImageUser {
        guard !user.isEmpty else { return .root }
        let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let accounts = Self.entries(passwd)
        let account: [String]?
        let uid: UInt32
        if let number = UInt32(parts[0]) {
            uid = number
            account = accounts.first { UInt32($0[2]) == number }
        } else {
            guard let named = accounts.first(where: { $0[0] == parts[0] }), let number = UInt32(named[2]) else {
                throw VerifyError.unknownUser(user: user, name: parts[0], file: "/etc/passwd")
            }
            (uid, account) = (number, named)
        }
        guard parts.count == 2 else {
            // No group: the account's primary group, or the uid's number as runtimes do for an unlisted uid.
            return ImageUser(uid: uid, gid: account.flatMap { UInt32($0[3]) } ?? 0)
        }
        if let number = UInt32(parts[1]) { return ImageUser(uid: uid, gid: number) }
        guard let named = Self.entries(group).first(where: { $0[0] == parts[1] }), let gid = UInt32(named[2]) else {
            throw VerifyError.unknownUser(user: user, name: parts[1], file: "/etc/group")
        }
        return ImageUser(uid: uid, gid: gid)
    }

    /// The colon-separated fields of each line with at least four (`passwd` has seven, `group` four).
    private static func entries(_ text: String?) -> [[String]] {
        (text ?? "").split(separator: "\n").map {
            $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
        .filter { $0.count >= 4 }
    }
}

extension RootedTree {
    /// The text of the regular file `path` (such as `etc/passwd`), read without following a link anywhere on the way;
    /// nil when there is none.
    func text(of path: EntryPath) throws -> String? {
        guard let last = path.components.last, let parent = try openDirectory(path.parent) else { return nil }
        defer { close(parent) }
        let file = last.withCString { openat(parent, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) }
        guard file >= 0 else { return nil }
        defer { close(file) }
        var status = stat()
        guard fstat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
