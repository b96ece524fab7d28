// libFuzzer harness: one input is a whole layout, read as `rewrite` reads it before planning. Seeds:
// testdata/fuzz/layout.
//
// The input is records separated by NUL bytes: the first is `index.json`, each other one a blob stored under its
// own digest. So that documents can point at each other, `@dN` in a record becomes the digest (`sha256:…`) of record
// N and `@sN` its size, for N from 1 to 9 greater than the record's own number (digests are computed from the last
// record back, so references only point forward and never form a cycle).
import Foundation
import FuzzSupport
import Hashing
import OCISlim

/// The layout directory, made once per process and emptied between inputs.
let layoutPath: String = {
    var template = Array((NSTemporaryDirectory() + "/ocislim-fuzz-layout-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed: errno \(errno)") }
    return String(cString: made)
}()
let blobsPath = layoutPath + "/blobs/sha256"

atexit {
    try? FileManager.default.removeItem(atPath: layoutPath)
}

/// `record` with `@dN` and `@sN` replaced for every N after `number`.
func substitute(_ record: [UInt8], from number: Int, digests: [Int: String], sizes: [Int]) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(record.count)
    var index = 0
    while index < record.count {
        if record[index] == UInt8(ascii: "@"), index + 2 < record.count,
            let target = Int(exactly: record[index + 2]).map({ $0 - 48 }), target > number, target < sizes.count
        {
            switch record[index + 1] {
            case UInt8(ascii: "d"):
                output += Array("sha256:\(digests[target] ?? "")".utf8)
                index += 3
                continue
            case UInt8(ascii: "s"):
                output += Array(String(sizes[target]).utf8)
                index += 3
                continue
            default:
                break
            }
        }
        output.append(record[index])
        index += 1
    }
    return output
}

func sha256(_ bytes: [UInt8]) -> String {
    guard let hasher = try? SHA256Hasher() else { fatalError("no SHA-256") }
    try? hasher.update(bytes)
    return (try? hasher.finalizeHex()) ?? ""
}

/// Writes a file plainly (Foundation's atomic writes would sync every one of them).
func write(_ bytes: [UInt8], to path: String) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { fatalError("cannot create \(path): errno \(errno)") }
    defer { close(descriptor) }
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written > 0 else { fatalError("cannot write \(path): errno \(errno)") }
        offset += written
    }
}

FuzzMain.run { bytes in
    let records = bytes.split(separator: 0, maxSplits: 9, omittingEmptySubsequences: false).map { Array($0) }
    var resolved = records
    var digests: [Int: String] = [:]
    for number in records.indices.reversed() {
        resolved[number] = substitute(records[number], from: number, digests: digests, sizes: resolved.map(\.count))
        digests[number] = sha256(resolved[number])
    }
    try? FileManager.default.removeItem(atPath: layoutPath + "/blobs")
    try? FileManager.default.createDirectory(atPath: blobsPath, withIntermediateDirectories: true)
    write(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layoutPath + "/oci-layout")
    write(resolved[0], to: layoutPath + "/index.json")
    for number in resolved.indices.dropFirst() {
        write(resolved[number], to: "\(blobsPath)/\(digests[number] ?? "")")
    }
    _ = try? FuzzEntryPoints.readGraph(layoutPath: layoutPath)
}
