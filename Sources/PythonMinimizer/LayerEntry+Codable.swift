/// The Codable forms of a layer's scan, for `--cache`: short keys, bytes as lowercase hex, defaults left out, so a
/// 30k-entry layer stays a few megabytes of JSON.
extension ImagePath: Codable {
    /// A path that is UTF-8 is a string; any other is its bytes (a tar name need not be text).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let text = String(validating: bytes, as: UTF8.self) {
            try container.encode(text)
        } else {
            try container.encode(bytes)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            bytes = Array(text.utf8)
        } else {
            bytes = try container.decode([UInt8].self)
        }
    }
}

extension LayerEntry: Codable {
    private enum CodingKeys: String, CodingKey {
        case path = "p"
        case kind = "k"
        case size = "s"
        case hardlinkTarget = "l"
        case metadata = "m"
        case contentDigest = "d"
        case pycHeaderBytes = "h"
        case sourceHashes = "sh"
        case compiles = "c"
        case isSparse = "sp"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(kind, forKey: .kind)
        try container.encode(size, forKey: .size)
        try container.encodeIfPresent(hardlinkTarget, forKey: .hardlinkTarget)
        try container.encode(metadata, forKey: .metadata)
        try container.encodeIfPresent(contentDigest.map(HexBytes.init), forKey: .contentDigest)
        try container.encodeIfPresent(pycHeaderBytes.map(HexBytes.init), forKey: .pycHeaderBytes)
        if !sourceHashes.isEmpty {
            // Sorted by magic: the same scan encodes to the same bytes in every process.
            let pairs = sourceHashes.sorted { $0.key < $1.key }.map {
                SourceHash(magic: $0.key, hash: HexBytes($0.value))
            }
            try container.encode(pairs, forKey: .sourceHashes)
        }
        if compiles { try container.encode(true, forKey: .compiles) }
        if isSparse { try container.encode(true, forKey: .isSparse) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let pairs = try container.decodeIfPresent([SourceHash].self, forKey: .sourceHashes) ?? []
        self.init(
            path: try container.decode(ImagePath.self, forKey: .path),
            kind: try container.decode(Kind.self, forKey: .kind),
            size: try container.decode(Int64.self, forKey: .size),
            hardlinkTarget: try container.decodeIfPresent(ImagePath.self, forKey: .hardlinkTarget),
            metadata: try container.decode(EntryMetadata.self, forKey: .metadata),
            contentDigest: try container.decodeIfPresent(HexBytes.self, forKey: .contentDigest)?.bytes,
            pycHeaderBytes: try container.decodeIfPresent(HexBytes.self, forKey: .pycHeaderBytes)?.bytes,
            sourceHashes: Dictionary(pairs.map { ($0.magic, $0.hash.bytes) }, uniquingKeysWith: { first, _ in first }),
            compiles: try container.decodeIfPresent(Bool.self, forKey: .compiles) ?? false,
            isSparse: try container.decodeIfPresent(Bool.self, forKey: .isSparse) ?? false
        )
    }
}

/// One CPython source hash of a source, by the release's magic number.
private struct SourceHash: Codable {
    let magic: UInt16
    let hash: HexBytes
}

extension EntryMetadata: Codable {
    private enum CodingKeys: String, CodingKey {
        case permissions = "mode"
        case uid, gid, mtime
        case mtimeNanoseconds = "ns"
        case xattrs = "x"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(permissions, forKey: .permissions)
        try container.encode(uid, forKey: .uid)
        try container.encode(gid, forKey: .gid)
        try container.encode(mtime, forKey: .mtime)
        if mtimeNanoseconds != 0 { try container.encode(mtimeNanoseconds, forKey: .mtimeNanoseconds) }
        if !xattrs.isEmpty { try container.encode(xattrs, forKey: .xattrs) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            permissions: try container.decode(UInt32.self, forKey: .permissions),
            uid: try container.decode(Int64.self, forKey: .uid), gid: try container.decode(Int64.self, forKey: .gid),
            mtime: try container.decode(Int64.self, forKey: .mtime),
            mtimeNanoseconds: try container.decodeIfPresent(Int.self, forKey: .mtimeNanoseconds) ?? 0,
            xattrs: try container.decodeIfPresent([XattrPair].self, forKey: .xattrs) ?? []
        )
    }
}

extension XattrPair: Codable {
    private enum CodingKeys: String, CodingKey { case name, value }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(HexBytes(value), forKey: .value)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            value: try container.decode(HexBytes.self, forKey: .value).bytes)
    }
}

/// Bytes coded as one lowercase hex string: a quarter of the size of a JSON array of numbers, and faster to parse.
struct HexBytes: Codable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func encode(to encoder: any Encoder) throws {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        var container = encoder.singleValueContainer()
        try container.encode(String(decoding: text, as: UTF8.self))
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = Array(try container.decode(String.self).utf8)
        guard text.count % 2 == 0 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "odd-length hex")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = 0
        while index < text.count {
            guard let high = Self.value(text[index]), let low = Self.value(text[index + 1]) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not hex")
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        default: nil
        }
    }
}
