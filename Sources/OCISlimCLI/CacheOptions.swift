import ArgumentParser
import Foundation
import OCISlim

/// `--cache` and `--cache-max-size`, shared by `rewrite` and `audit`: a layer cache kept between runs.
struct CacheOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Keep layer scans and rewritten layers in this directory, and reuse them (shareable between runs).",
            discussion: "Created when missing. Concurrent runs, on one machine or on a shared volume, may use one "
                + "directory: entries are written whole and renamed into place, and each is checked as it is read "
                + "(a damaged one is ignored and rewritten). Entries of another ocislim build are ignored. The "
                + "output is the same bytes with or without the cache.",
            valueName: "dir"
        ))
    var cache: String?

    @Option(
        help: ArgumentHelp(
            "With --cache: evict the least recently used entries above this size (20MB, 512MiB, 2GiB).",
            valueName: "size"
        ))
    var cacheMaxSize: SizeLimit?

    func validate() throws {
        if cacheMaxSize != nil && cache == nil { throw ValidationError("--cache-max-size needs --cache.") }
        if case .percent = cacheMaxSize { throw ValidationError("--cache-max-size takes a size, not a percentage.") }
        if let cache {
            var isDirectory: ObjCBool = false
            if cache.isEmpty
                || FileManager.default.fileExists(atPath: cache, isDirectory: &isDirectory)
                    && !isDirectory.boolValue
            {
                throw ValidationError("--cache \(cache) is not a directory.")
            }
        }
    }

    /// The cache settings, for this build; nil without `--cache`.
    var settings: CacheSettings? {
        cache.map {
            CacheSettings(directory: $0, maxSize: cacheMaxSize.map { $0.bytes(of: 0) }, tool: OCISlimCommand.tool)
        }
    }
}
