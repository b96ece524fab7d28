// libFuzzer harness: one input is a list of layers of entries, planned by every strategy's planner. Seeds:
// testdata/fuzz/planner.
//
// The input: a byte choosing the strategy and its options, a byte for the minimum layer saving, then entries; a
// 0xFF byte where an entry would start begins the next layer (at most 4). Each entry is a kind byte (its high bits
// say which optional facts follow), a path, a size byte, and the facts. A path is a byte with its component count and
// leading `/` or `./`, then per component a byte: an index into `components` below, or above it that many raw bytes.
import FuzzSupport
import PythonMinimizer

/// Path components that steer entries into Python trees, caches and whiteouts.
let components = [
    "usr", "lib", "python3.11", "python3", "site-packages", "dist-packages", "__pycache__", "a.py", "b.py",
    "a.cpython-311.pyc", "a.cpython-311.opt-1.pyc", "a.cpython-311.opt-2.pyc", "b.cpython-312.pyc", "a.pyc",
    ".wh.a.py", ".wh.__pycache__", ".wh..wh..opq", dontWriteBytecodeMarker, "__pysources__", "a.zpy", "app", "..",
    ".", "", "bin", "python", "local", "lib64", "pkg", "__init__.py", "__init__.cpython-311.pyc", "x",
].map { Array($0.utf8) }

/// The next entry; nil for the layer separator.
func decodeEntry(_ input: inout FuzzInput) -> LayerEntry? {
    let kindByte = input.byte()
    if kindByte == 0xFF { return nil }
    let kinds: [LayerEntry.Kind] = [.regular, .regular, .directory, .symlink, .hardlink, .other]
    let kind = kinds[Int(kindByte & 0x07) % kinds.count]
    let path = decodePath(&input)
    let size = Int64(input.byte()) * 37
    let hardlinkTarget = kind == .hardlink ? decodePath(&input) : nil
    let metadataByte = input.byte()
    let metadata = EntryMetadata(
        permissions: metadataByte & 1 == 0 ? 0o644 : 0o755, uid: Int64(metadataByte >> 6),
        mtime: Int64(metadataByte >> 1)
    )
    let contentDigest = kindByte & 0x08 != 0 ? [UInt8](repeating: input.byte(), count: 32) : nil
    let pycHeader = kindByte & 0x10 != 0 ? pycHeaderBytes(&input) : nil
    var sourceHashes: [UInt16: [UInt8]] = [:]
    if kindByte & 0x20 != 0 {
        let release = CPythonRelease.all[Int(input.byte()) % CPythonRelease.all.count]
        sourceHashes[release.magic] = input.bytes(8)
    }
    return LayerEntry(
        path: path, kind: kind, size: size, hardlinkTarget: hardlinkTarget, metadata: metadata,
        contentDigest: contentDigest, pycHeaderBytes: pycHeader, sourceHashes: sourceHashes,
        compiles: kindByte & 0x40 != 0
    )
}

/// A `.pyc` header: a known release's magic (or raw bytes), flags, and eight bytes of mtime and size or hash.
func pycHeaderBytes(_ input: inout FuzzInput) -> [UInt8] {
    let choice = input.byte()
    let magic =
        Int(choice) < CPythonRelease.all.count ? CPythonRelease.all[Int(choice)].magic : input.uint16()
    return [UInt8(magic & 0xFF), UInt8(magic >> 8), 0x0D, 0x0A, input.byte() & 0x03, 0, 0, 0] + input.bytes(8)
}

func decodePath(_ input: inout FuzzInput) -> ImagePath {
    let header = input.byte()
    var name: [UInt8] = [[], Array("/".utf8), Array("./".utf8), []][Int(header >> 6)]
    for position in 0..<(Int(header & 0x07) + 1) {
        let selector = Int(input.byte())
        let component = selector < components.count ? components[selector] : input.bytes(selector % 8)
        name += (position == 0 ? [] : [0x2f]) + component
    }
    return ImagePath(tarName: name)
}

FuzzMain.run { bytes in
    var input = FuzzInput(bytes)
    let options = input.byte()
    let strategy = Strategy.allCases[Int(options) % Strategy.allCases.count]
    let sourceless = SourcelessOptions(
        keepSources: options & 0x10 == 0, sourceHook: options & 0x20 != 0,
        keepPatterns: options & 0x40 != 0 ? ["/usr/lib/**/b.py"] : []
    )
    let compileVersion = options & 0x80 != 0 ? "3.11" : nil
    let minimumLayerSaving = Int64(input.byte()) * 64
    var scans = [LayerScan(entries: [])]
    while !input.isAtEnd && scans.count <= 4 {
        if let entry = decodeEntry(&input) {
            scans[scans.count - 1].entries.append(entry)
        } else {
            scans.append(LayerScan(entries: []))
        }
    }
    let runPaths: Set<ImagePath> = options & 0x08 != 0 ? [ImagePath("usr/lib/python3.11/a.py")] : []
    let planner = Planner(
        strategy: strategy, minimumLayerSaving: minimumLayerSaving, sourceless: sourceless,
        compileVersion: compileVersion
    )
    let plan = planner.plan(scans, context: ImageContext(runPaths: runPaths))
    fuzzCheck(plan.layers.count == scans.count, "\(plan.layers.count) plans for \(scans.count) layers")
    for (layer, scan) in zip(plan.layers, scans) {
        for (index, action) in layer.actions {
            fuzzCheck(scan.entries.indices.contains(index), "an action for entry \(index) of \(scan.entries.count)")
            if case .hardlink(let target) = action {
                fuzzCheck(
                    scan.entries[..<index].contains { $0.path == target },
                    "entry \(index) becomes a link to \(target), which no earlier entry of its layer writes"
                )
            }
        }
        _ = PlanSummary(plan: layer, scan: scan)
    }
}
