import ByteIO
import Codecs
import OCIImage
import TarStream
import TestSupport
import Testing

/// The filesystem an image's layers make when applied in order, whiteouts and opaque directories included, as a
/// map from path to what is there: kind, mode, owner, content or link target. Two images with equal maps look the
/// same to every process in them.
enum MergedFilesystem {
    struct Node: Equatable, CustomStringConvertible {
        let kind: String
        let permissions: UInt32
        let owner: String
        let content: [UInt8]
        let link: String?

        var description: String { "\(kind) \(String(permissions, radix: 8)) \(owner) \(content.count)B \(link ?? "")" }
    }

    /// The merged filesystem of the first image listed in `layout`'s `index.json`.
    static func of(_ layout: String) throws -> [String: Node] {
        let entry = try #require(try LayoutFixture.document(layout)["manifests"]?.arrayValue?.first)
        let manifest = try LayoutFixture.document(layout, try Digest(parsing: entry["digest"]?.stringValue ?? ""))
        var tree: [String: Node] = [:]
        for layer in manifest["layers"]?.arrayValue ?? [] {
            let digest = try Digest(parsing: layer["digest"]?.stringValue ?? "")
            let compression = MediaType.layerCompression(layer["mediaType"]?.stringValue ?? "") ?? .uncompressed
            apply(try entries(layout, digest, compression), to: &tree)
        }
        return tree
    }

    private static func entries(_ layout: String, _ digest: Digest, _ compression: Compression) throws -> [(
        String, Node
    )] {
        let tar = try LayoutFixture.tarBytes(layout, digest: digest, compression: compression)
        let reader = try TarReader(source: MemorySource(tar))
        var result: [(String, Node)] = []
        while let entry = try reader.nextEntry() {
            var path = entry.path.description
            while path.hasSuffix("/") { path.removeLast() }
            let content = entry.kind == .regular ? try reader.readData(limit: 1 << 26) : []
            let link = entry.linkTarget?.description
            result.append(
                (
                    path,
                    Node(
                        kind: "\(entry.kind)", permissions: entry.permissions, owner: "\(entry.uid):\(entry.gid)",
                        content: content, link: link)
                ))
        }
        return result
    }

    private static func apply(_ entries: [(String, Node)], to tree: inout [String: Node]) {
        func removeTree(_ path: String) {
            tree = tree.filter { $0.key != path && !$0.key.hasPrefix(path + "/") }
        }
        func removeBelow(_ directory: String) {
            tree = tree.filter { directory.isEmpty ? false : !$0.key.hasPrefix(directory + "/") }
        }
        // Whiteouts apply to the layers below: first all of them, then the layer's own entries.
        for (path, _) in entries {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let parent = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : ""
            if name == ".wh..wh..opq" {
                removeBelow(parent)
            } else if name.hasPrefix(".wh.") {
                removeTree((parent.isEmpty ? "" : parent + "/") + name.dropFirst(4))
            }
        }
        for (path, node) in entries where !(path.split(separator: "/").last ?? "").hasPrefix(".wh.") {
            if node.kind != "directory" { removeTree(path) }
            if node.kind == "hardlink", let target = node.link, let linked = tree[target] {
                tree[path] = linked
                continue
            }
            tree[path] = node
        }
    }
}
