import Foundation

/// An output layout that appears atomically: everything is written into a staging directory beside the output
/// and renamed into place by `publish()`; until then, and after any failure, the output path is untouched.
public final class OutputLayout: Sendable {
    /// The final path.
    public let path: String
    /// Where the layout is built.
    public let stagingPath: String
    /// The blob store inside the staging directory.
    public let blobs: BlobStore

    /// Checks that `path` does not exist or is an empty directory, then creates the staging directory.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        self.path = url.path
        try Self.checkEmpty(self.path)
        stagingPath = url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).ocislim-\(getpid())"
        try? FileManager.default.removeItem(atPath: stagingPath)
        do {
            try FileManager.default.createDirectory(atPath: stagingPath, withIntermediateDirectories: false)
        } catch {
            throw OCIError.output(path: stagingPath, reason: error.localizedDescription)
        }
        blobs = try BlobStore(layoutPath: stagingPath)
    }

    /// Writes a top-level file (`oci-layout`, `index.json`).
    public func writeFile(_ name: String, _ bytes: [UInt8]) throws {
        let filePath = "\(stagingPath)/\(name)"
        guard FileManager.default.createFile(atPath: filePath, contents: Data(bytes)) else {
            throw OCIError.output(path: filePath, reason: "cannot create file")
        }
    }

    /// Renames the staging directory to the output path; an empty output directory is replaced.
    public func publish() throws {
        try Self.checkEmpty(path)
        // rename(2) replaces an empty directory atomically.
        guard rename(stagingPath, path) == 0 else {
            throw OCIError.output(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Removes the staging directory; used when the rewrite fails.
    public func discard() {
        try? FileManager.default.removeItem(atPath: stagingPath)
    }

    private static func checkEmpty(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        let contents = isDirectory.boolValue ? (try? FileManager.default.contentsOfDirectory(atPath: path)) : nil
        guard let contents, contents.isEmpty else { throw OCIError.outputNotEmpty(path: path) }
    }
}
