// libFuzzer harness: one input is one uncompressed layer. It is read entry by entry with the names classified as the
// planner classifies them, then edited as `rewrite` edits layers; the edited tar must read back as the entries the
// edit meant to write, in order. Seeds: testdata/fuzz/tar.
import ByteIO
import FuzzSupport
import PythonMinimizer
import TarStream

/// What a reader sees of one entry.
struct Seen: Equatable {
    let path: TarPath
    let kind: TarEntryKind
    let size: Int64

    init(_ entry: TarEntry) {
        path = entry.path
        kind = entry.kind
        size = entry.size
    }

    init(path: TarPath, kind: TarEntryKind, size: Int64) {
        self.path = path
        self.kind = kind
        self.size = size
    }
}

/// Reads every entry and its data; each name goes through the planner's path rules.
func readEntries(_ bytes: [UInt8], chunkSize: Int) throws -> [Seen] {
    let reader = try TarReader(source: MemorySource(bytes), chunkSize: chunkSize)
    var seen: [Seen] = []
    while let entry = try reader.nextEntry() {
        seen.append(Seen(entry))
        classify(entry.path.bytes)
        if let target = entry.linkTarget { classify(target.bytes) }
        let head = try reader.readData(limit: 16)
        _ = PycHeader(head)
        while try reader.nextDataBlock() != nil {}
    }
    try reader.drainSource()
    return seen
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
/// or replaced by a link; returns the edited tar and the entries it should hold, or nil when the edit refused the
/// input.
func edit(_ bytes: [UInt8]) -> (tar: [UInt8], expected: [Seen])? {
    let sink = MemorySink()
    var expected: [Seen] = []
    do {
        let editor = try TarEditor(source: MemorySource(bytes), sink: sink)
        var previous: TarPath?
        _ = try editor.run(
            decide: { index, entry in
                defer { previous = entry.path }
                return try decision(index: index, entry: entry, salt: bytes.count, previous: previous, &expected)
            },
            append: {
                expected.append(Seen(path: TarPath("fuzz/appended"), kind: .regular, size: 3))
                return [(try NewTarEntry.regularFile(path: TarPath("fuzz/appended"), size: 3), [1, 2, 3])]
            }
        )
        return (sink.bytes, expected)
    } catch {
        return nil
    }
}

func decision(index: Int, entry: TarEntry, salt: Int, previous: TarPath?, _ expected: inout [Seen]) throws -> TarEdit {
    let choice = (index + salt) % 6
    guard entry.kind == .regular else {
        if choice % 2 == 0 { expected.append(Seen(entry)) }
        return choice % 2 == 0 ? .keep : .drop
    }
    let renamed = TarPath(bytes: entry.path.bytes + Array(".moved".utf8))
    switch choice {
    case 0, 1:
        expected.append(Seen(entry))
        return .keep
    case 2:
        return .drop
    case 3:
        expected.append(Seen(path: renamed, kind: .regular, size: entry.size))
        return .replace(with: [], dataUnder: try NewTarEntry.renamed(entry, to: renamed))
    case 4:
        expected.append(Seen(path: renamed, kind: .regular, size: entry.size))
        let header = try NewTarEntry.regularFile(path: renamed, metadataFrom: entry)
        return .replace([.transformedData(under: header, limit: 1 << 16, transform: { $0.reversed() })])
    default:
        // A link to or from an empty name reads back as a regular file (libarchive); `rewrite` links only files of
        // Python trees, which have names.
        guard let previous, !previous.bytes.isEmpty, !entry.path.bytes.isEmpty else {
            expected.append(Seen(entry))
            return .keep
        }
        expected.append(Seen(path: entry.path, kind: .hardlink, size: 0))
        return .replace(with: [try NewTarEntry.hardlink(path: entry.path, to: previous, metadata: entry)])
    }
}

FuzzMain.run { bytes in
    // The chunk size varies with the input so that headers and data straddle libarchive's reads in many ways.
    let chunkSize = [512, 1000, 4096, 65536][bytes.count % 4]
    _ = try? readEntries(bytes, chunkSize: chunkSize)
    guard let (edited, expected) = edit(bytes) else { return }
    do {
        let actual = try readEntries(edited, chunkSize: chunkSize)
        fuzzCheck(actual == expected, "the edited tar reads back as \(actual), not \(expected)")
    } catch {
        fuzzCheck(false, "the edited tar does not read back: \(error)")
    }
}
