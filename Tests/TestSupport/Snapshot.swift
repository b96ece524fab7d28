import Foundation
import Hashing

#if canImport(Glibc)
    import Glibc
#endif

/// What a directory holds, to show a failed run changed nothing.
public enum Snapshot {
    /// Every entry under a directory, by relative path: a regular file's bytes, a link's target, another kind's
    /// mode. Nothing but regular files is opened.
    public static func tree(_ directory: String) throws -> [String: String] {
        var result: [String: String] = [:]
        var pending = [""]
        while let relative = pending.popLast() {
            let full = relative.isEmpty ? directory : "\(directory)/\(relative)"
            var status = stat()
            guard lstat(full, &status) == 0 else { throw FixtureFailure("cannot stat \(full)") }
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                for name in try FileManager.default.contentsOfDirectory(atPath: full) {
                    pending.append(relative.isEmpty ? name : "\(relative)/\(name)")
                }
            case S_IFREG:
                let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
                result[relative] = "file " + (try SHA256Hasher.hash(Array(bytes)).hexString)
            case S_IFLNK:
                result[relative] = "link " + (try FileManager.default.destinationOfSymbolicLink(atPath: full))
            default:
                result[relative] = "mode \(status.st_mode)"
            }
        }
        return result
    }
}
