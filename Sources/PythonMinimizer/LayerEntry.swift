/// One tar entry of a layer, as the planner needs it: name, kind, size, metadata, and for candidates a content
/// digest and the pyc header.
public struct LayerEntry: Hashable, Sendable {
    /// What the entry is.
    public enum Kind: Hashable, Sendable, Codable { case regular, directory, symlink, hardlink, other }

    /// The normalized path.
    public let path: ImagePath
    /// What the entry is.
    public let kind: Kind
    /// Data size in bytes.
    public let size: Int64
    /// The target of a hardlink (normalized); nil for other kinds.
    public let hardlinkTarget: ImagePath?
    /// Owner, mode, xattrs and mtime: what a hardlink would share.
    public let metadata: EntryMetadata
    /// SHA-256 of the data, when the scanner hashed it (regular files in Python trees, for dedup).
    public let contentDigest: [UInt8]?
    /// The first bytes (up to 16) of a `.pyc` file: its header.
    public let pycHeaderBytes: [UInt8]?
    /// For Python sources, when the scanner computed them: CPython's source hash keyed by each release's magic.
    public let sourceHashes: [UInt16: [UInt8]]
    /// For Python sources checked with `--compile-with`: whether the host compiler accepts them.
    public let compiles: Bool
    /// Whether the tar stores the file sparse (extents at offsets, holes between them): such a file is never a
    /// dedup candidate nor moved or converted, since re-encoding it means streaming its holes.
    public let isSparse: Bool

    /// Makes an entry record.
    public init(
        path: ImagePath, kind: Kind, size: Int64, hardlinkTarget: ImagePath? = nil,
        metadata: EntryMetadata = EntryMetadata(), contentDigest: [UInt8]? = nil, pycHeaderBytes: [UInt8]? = nil,
        sourceHashes: [UInt16: [UInt8]] = [:], compiles: Bool = false, isSparse: Bool = false
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.hardlinkTarget = hardlinkTarget
        self.metadata = metadata
        self.contentDigest = contentDigest
        self.pycHeaderBytes = pycHeaderBytes
        self.sourceHashes = sourceHashes
        self.compiles = compiles
        self.isSparse = isSparse
    }
}

/// The inode metadata of an entry.
public struct EntryMetadata: Hashable, Sendable {
    /// Permission bits.
    public var permissions: UInt32
    /// Numeric owner.
    public var uid: Int64
    /// Numeric group.
    public var gid: Int64
    /// Modification time in seconds and nanoseconds.
    public var mtime: Int64
    public var mtimeNanoseconds: Int
    /// Extended attributes as (name, value) pairs in archive order.
    public var xattrs: [XattrPair]

    /// Makes metadata.
    public init(
        permissions: UInt32 = 0o644, uid: Int64 = 0, gid: Int64 = 0, mtime: Int64 = 0, mtimeNanoseconds: Int = 0,
        xattrs: [XattrPair] = []
    ) {
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
        self.mtime = mtime
        self.mtimeNanoseconds = mtimeNanoseconds
        self.xattrs = xattrs
    }
}

/// One extended attribute.
public struct XattrPair: Hashable, Sendable {
    public let name: String
    public let value: [UInt8]

    /// Makes an attribute.
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// The entries of one layer in archive order.
public struct LayerScan: Hashable, Sendable {
    /// The entries, in the order the tar holds them.
    public var entries: [LayerEntry]

    /// Makes a scan.
    public init(entries: [LayerEntry]) { self.entries = entries }
}
