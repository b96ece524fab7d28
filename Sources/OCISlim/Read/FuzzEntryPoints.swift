import OCIImage

/// The internal readers and patchers, for the libFuzzer harnesses in `Sources/ocislim-fuzz` (built by `make fuzz`
/// only). Visible to this package's targets, not part of the library's API; each forwards to the code `rewrite` runs.
package enum FuzzEntryPoints {
    /// Reads the layout at `layoutPath` and every document below its `index.json`, as `rewrite` does before it plans;
    /// returns how many images it could rewrite.
    package static func readGraph(layoutPath: String) throws -> Int {
        let layout = try ImageLayout(path: layoutPath)
        return try GraphReader(source: layout, warn: { _ in }).read().images.count
    }

    /// A config patched as `rewrite` patches it: new diff_ids and, where unset, the environment.
    package static func patchConfig(_ bytes: [UInt8], diffIDs: [Digest], environment: [String]) throws -> [UInt8] {
        try DocumentPatcher.config(bytes, diffIDs: diffIDs, environment: environment, what: "config")
    }

    /// A manifest pointed at a new config and new layers (as many as it lists).
    package static func patchManifest(_ bytes: [UInt8], config: Descriptor, layers: [Descriptor]) throws -> [UInt8] {
        try DocumentPatcher.manifest(bytes, config: config, layers: layers, what: "manifest")
    }

    /// An index pointed at new manifests (as many as it lists).
    package static func patchIndex(_ bytes: [UInt8], manifests: [Descriptor]) throws -> [UInt8] {
        try DocumentPatcher.index(bytes, manifests: manifests, what: "index")
    }
}
