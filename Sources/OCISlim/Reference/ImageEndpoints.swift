import ByteIO
import Foundation
import ImageArchive
import OCIImage

/// Turns references into the pipeline's two ends: an `ImageSource` to read and an `ImageDestination` to write.
/// This is the one place that knows the transports.
package enum ImageEndpoints {
    /// Opens the input. A bare path is a layout when it is a directory and an archive, recognised by its content,
    /// when it is a file; `-` is standard input, spilled once to a file in `TMPDIR`.
    package static func source(_ reference: ImageReference) throws -> any ImageSource {
        switch reference.transport {
        case .oci:
            return try ImageLayout(path: reference.path)
        case .ociArchive, .dockerArchive:
            return try archive(reference, expected: reference.transport?.archiveKind)
        case nil:
            var isDirectory: ObjCBool = false
            if reference.isStandardStream
                || (FileManager.default.fileExists(atPath: reference.path, isDirectory: &isDirectory)
                    && !isDirectory.boolValue)
            {
                return try archive(reference, expected: nil)
            }
            return try ImageLayout(path: reference.path)
        }
    }

    private static func archive(_ reference: ImageReference, expected: ArchiveKind?) throws -> any ArchiveSource {
        guard reference.isStandardStream else {
            return try ImageArchives.open(path: reference.path, expected: expected)
        }
        let path = try StandardInput.spill()
        return try ImageArchives.open(path: path, expected: expected)
    }

    /// Makes the output. With no transport the output takes the input's shape; `oci:DIR:NAME` on an existing layout
    /// adds the image to it.
    static func destination(
        _ reference: ImageReference, input: ImageReference, source: any ImageSource, replace: Bool
    ) throws -> any ImageDestination {
        let naming = OutputNaming(reference)
        let shape: ImageShape =
            switch reference.transport {
            case .oci: .layout
            case .ociArchive: .ociArchive
            case .dockerArchive:
                if case .dockerArchive = source.shape { source.shape } else { .dockerArchive(.skopeo) }
            case nil: reference.isStandardStream && source.shape == .layout ? .ociArchive : source.shape
            }
        switch shape {
        case .layout:
            if let name = naming.name, FileManager.default.fileExists(atPath: reference.path + "/index.json") {
                return try ExistingLayoutDestination(path: reference.path, name: name, replace: replace)
            }
            return try LayoutDestination(path: reference.path, naming: naming, input: input.path)
        case .ociArchive, .dockerArchive:
            return try ArchiveDestination(path: reference.path, shape: shape, naming: naming, input: input.path)
        }
    }
}

/// Standard input, spilled once to a file under `TMPDIR` so an archive can be read by offset.
enum StandardInput {
    /// Copies standard input to a new file in a private temporary directory (removed on interruption and at exit
    /// of the run) and returns its path.
    static func spill() throws -> String {
        let directory = try TemporaryDirectory.make(prefix: "ocislim-stdin")
        let path = directory + "/input.tar"
        let sink = try FileSink(creating: path, mode: 0o600)
        _ = try StandardInputSource().copy(to: sink)
        try sink.finish()
        return path
    }
}
