// libFuzzer harness: one input is one uncompressed layer. It is read entry by entry with the names classified as the
// planner classifies them, then edited as `rewrite` edits layers, and the edited tar is read back. Seeds:
// testdata/fuzz/tar.
import ByteIO
import FuzzSupport
import PythonMinimizer
import TarStream

/// Reads every entry and its data; each name goes through the planner's path rules.
func readAll(_ bytes: [UInt8], chunkSize: Int) {
    try? readEntries(bytes, chunkSize: chunkSize)
}

func readEntries(_ bytes: [UInt8], chunkSize: Int) throws {
    let reader = try TarReader(source: MemorySource(bytes), chunkSize: chunkSize)
    while let entry = try reader.nextEntry() {
        classify(entry.path.bytes)
        if let target = entry.linkTarget { classify(target.bytes) }
        let head = try reader.readData(limit: 16)
        _ = PycHeader(head)
        while try reader.nextDataBlock() != nil {}
    }
    try reader.drainSource()
}

/// The planner's view of a name: normalized once and for all, a whiteout or not, Python or not.
func classify(_ name: [UInt8]) {
    let path = ImagePath(tarName: name)
    fuzzCheck(ImagePath(tarName: path.bytes) == path, "normalizing \(name) twice changed it")
    fuzzCheck(path.bytes.first != 0x2f && path.bytes.last != 0x2f, "normalized \(name) keeps a slash at an end")
    // Whiteouts that name nothing or a parent (`.wh.`, `.wh..`) are issue 10's defect 9, not checked here.
    if case .opaque(let directory)? = Whiteout(path) {
        fuzzCheck(directory == path.parent, "the opaque whiteout \(name) is not for its own directory")
    }
    let file = PythonFile(path)
    _ = file.isBytecode
    _ = PythonFile.isInPythonTree(path)
    _ = PythonFile.isImportable(path)
    _ = PythonFile.isSitePackagesDirectory(path)
    _ = PythonFile.interpreterVersion(path)
    _ = path.components
    _ = path.description
}

/// The layer edited as `rewrite` edits layers: entries kept, dropped, renamed with their data, rewritten in memory,
/// or replaced by a link; nil when the input is refused.
func edit(_ bytes: [UInt8]) -> [UInt8]? {
    let sink = MemorySink()
    do {
        let editor = try TarEditor(source: MemorySource(bytes), sink: sink)
        var seen: [TarPath] = []
        _ = try editor.run(
            decide: { index, entry in
                defer { seen.append(entry.path) }
                return try decision(index: index, entry: entry, salt: bytes.count, earlier: seen.last)
            },
            append: {
                [(try NewTarEntry.regularFile(path: TarPath("fuzz/appended"), size: 3), [1, 2, 3])]
            }
        )
        return sink.bytes
    } catch {
        return nil
    }
}

func decision(index: Int, entry: TarEntry, salt: Int, earlier: TarPath?) throws -> TarEdit {
    let choice = (index + salt) % 6
    guard entry.kind == .regular else { return choice % 2 == 0 ? .keep : .drop }
    let renamed = TarPath(bytes: entry.path.bytes + Array(".moved".utf8))
    switch choice {
    case 0, 1: return .keep
    case 2: return .drop
    case 3: return .replace(with: [], dataUnder: try NewTarEntry.renamed(entry, to: renamed))
    case 4:
        let header = try NewTarEntry.regularFile(path: renamed, metadataFrom: entry)
        return .replace([.transformedData(under: header, limit: 1 << 16, transform: { $0.reversed() })])
    default:
        guard let earlier else { return .keep }
        return .replace(with: [try NewTarEntry.hardlink(path: entry.path, to: earlier, metadata: entry)])
    }
}

FuzzMain.run { bytes in
    // The chunk size varies with the input so that headers and data straddle libarchive's reads in many ways.
    let chunkSize = [512, 1000, 4096, 65536][bytes.count % 4]
    readAll(bytes, chunkSize: chunkSize)
    guard let edited = edit(bytes) else { return }
    do {
        try readEntries(edited, chunkSize: chunkSize)
    } catch {
        fuzzCheck(false, "the edited tar does not read back: \(error)")
    }
}
