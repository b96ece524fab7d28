import Foundation
import OCIImage
import OCISlim

/// One of the two images `verify` compares: its source, its manifest's layers and how it runs.
struct ImageUnderTest: Sendable {
    /// The reference as the user wrote it.
    let reference: String
    let source: any ImageSource
    let layers: [Descriptor]
    let runtime: RuntimeConfig

    /// Opens `reference` and picks its one image (with `platforms`, among those platforms).
    static func open(_ reference: String, platforms: [Platform]) throws -> ImageUnderTest {
        var parsed = try ImageReference(parsing: reference)
        // The trees are written by threads that change into them (`IsolatedDirectory`) and read layer blobs as
        // they go: a relative path would be looked up from inside the tree.
        if !parsed.isStandardStream && !parsed.path.hasPrefix("/") {
            parsed.path = FileManager.default.currentDirectoryPath + "/" + parsed.path
        }
        let source = try ImageEndpoints.source(parsed)
        let selection = ImageSelection(selector: parsed.selector, platforms: platforms)
        let images = try GraphReader(source: source, selection: selection, warn: { _ in }).read().images
        guard let image = images.first else { throw VerifyError.noImage(reference: reference) }
        guard images.count == 1 else {
            throw VerifyError.severalImages(reference: reference, labels: images.map(\.label))
        }
        return ImageUnderTest(
            reference: reference, source: source, layers: image.manifest.layers,
            runtime: try RuntimeConfig(configBytes: image.configBytes, what: "config \(image.manifest.config.digest)")
        )
    }
}

/// What the image config says about running the image: the fields `verify` needs beyond the pipeline's.
struct RuntimeConfig: Sendable, Equatable {
    /// `Env`, as `NAME=VALUE` pairs.
    var environment: [String] = []
    var entrypoint: [String] = []
    var command: [String] = []
    /// `WorkingDir`, or `/`.
    var workingDirectory = "/"
    /// `architecture` (and `variant`), or nil when the config names none.
    var architecture: String?
    /// `User`, as written (`name`, `uid`, `name:group`, …); empty for root.
    var user = ""

    init(
        environment: [String] = [], entrypoint: [String] = [], command: [String] = [], architecture: String? = nil,
        user: String = ""
    ) {
        self.environment = environment
        self.entrypoint = entrypoint
        self.command = command
        self.architecture = architecture
        self.user = user
    }

    /// Reads the config's execution parameters.
    init(configBytes: [UInt8], what: String) throws {
        struct Document: Decodable {
            struct Execution: Decodable {
                var env: [String]?
                var entrypoint: [String]?
                var cmd: [String]?
                var workingDir: String?
                var user: String?

                enum CodingKeys: String, CodingKey {
                    case env = "Env"
                    case entrypoint = "Entrypoint"
                    case cmd = "Cmd"
                    case workingDir = "WorkingDir"
                    case user = "User"
                }
            }
            var config: Execution?
            var architecture: String?
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(configBytes))
        } catch {
            throw OCIError.invalidDocument(
                what: what, reason: "its Env, Entrypoint, Cmd, WorkingDir or User is malformed")
        }
        environment = document.config?.env ?? []
        entrypoint = document.config?.entrypoint ?? []
        command = document.config?.cmd ?? []
        if let directory = document.config?.workingDir, !directory.isEmpty { workingDirectory = directory }
        architecture = document.architecture
        user = document.config?.user ?? ""
    }

    /// The environment a process of the image starts with: `Env`, with Docker's defaults for `PATH` and `HOME` when
    /// it sets neither.
    var processEnvironment: [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = environment.compactMap { pair in
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { return nil }
            return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
        }
        if !pairs.contains(where: { $0.name == "PATH" }) {
            pairs.append(("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"))
        }
        if !pairs.contains(where: { $0.name == "HOME" }) { pairs.append(("HOME", "/root")) }
        return pairs
    }
}
