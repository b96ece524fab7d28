/// The raw header blocks of one tar entry, parsed independently of libarchive: the pax extended header, GNU long
/// name and long link records, then the ustar header.
///
/// The editor copies kept entries as these raw bytes, so every other reader of the output (Go's archive/tar in
/// containerd and moby, GNU tar, Python's tarfile) parses them, not libarchive's view. Where the raw fields could
/// be read differently from what libarchive reported, the entry is refused (see `HeaderDisagreement`).
struct HeaderChain {
    /// The ustar header's type flag.
    let typeflag: UInt8
    /// The ustar header's size field (octal or GNU base-256).
    let ustarSize: Int64
    /// The pax `size` record, when there is one.
    let paxSize: Int64?

    /// Parses the chain starting at stream offset `position`; nil when the window does not hold it (never for a
    /// header libarchive has just read: the window holds every byte it pulled from that header on).
    static func parse(_ window: RawWindow, at position: Int64) throws(HeaderDisagreement) -> HeaderChain? {
        var offset = position
        var paxHeaders = 0
        var longNames = 0
        var longLinks = 0
        var paxSize: Int64?
        while let block = window.bytes(at: offset, count: 512) {
            let typeflag = block[block.startIndex + 156]
            let size = numericField(block.dropFirst(124).prefix(12))
            let padded = (size + 511) / 512 * 512
            switch typeflag {
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                paxHeaders += 1
                guard let records = window.bytes(at: offset + 512, count: Int(size)) else { return nil }
                paxSize = paxRecord("size", in: records).flatMap { Int64(String(decoding: $0, as: UTF8.self)) }
            case UInt8(ascii: "L"): longNames += 1
            case UInt8(ascii: "K"): longLinks += 1
            case UInt8(ascii: "g"): break
            default:
                // Readers differ on which of two extensions wins (libarchive and Go take the last, others the first).
                if paxHeaders > 1 { throw .repeatedExtension("pax extended headers") }
                if longNames > 1 { throw .repeatedExtension("GNU long-name records") }
                if longLinks > 1 { throw .repeatedExtension("GNU long-link records") }
                try checkNumberFields(block)
                return HeaderChain(typeflag: typeflag, ustarSize: size, paxSize: paxSize)
            }
            offset += 512 + padded
        }
        return nil
    }

    /// Checks that every reader sees the entry libarchive saw: `size` bytes of data (for a sparse entry, the raw
    /// sizes count stored extents, so only data on non-files is checked).
    func check(size: Int64, kind: TarEntryKind, isSparse: Bool) throws(HeaderDisagreement) {
        // A ustar size field holds at most 8 GiB - 1 in octal; beyond that, pax writers leave it 0 or saturated.
        let fitsUstar = (paxSize ?? 0) < 1 << 33
        if let paxSize, paxSize != ustarSize, fitsUstar {
            throw .sizes(ustar: ustarSize, pax: paxSize)
        }
        let rawSize = paxSize ?? ustarSize
        // Python's tarfile skips no data after a directory, link or device whatever its size says; GNU tar and Go do.
        if kind != .regular && rawSize != 0 { throw .dataOnNonFile(size: rawSize) }
        if !isSparse && rawSize != size { throw .misread(header: rawSize, read: size) }
    }

    /// The numeric fields readers check before they accept a header (mode, uid, gid, size, mtime), by offset and
    /// length. libarchive reads a malformed one in the middle of a stream but refuses it as an archive's first header
    /// (`validate_number_field` in its tar format bid), so a kept entry with one would make a layer that cannot be
    /// read once the entries before it are dropped: refused up front.
    static let numberFields: [(name: String, offset: Int, length: Int)] = [
        ("mode", 100, 8), ("uid", 108, 8), ("gid", 116, 8), ("size", 124, 12), ("mtime", 136, 12),
    ]

    /// Throws unless each numeric field is base-256 (or starts with NUL), or leading spaces, octal digits, then only
    /// spaces and NULs.
    static func checkNumberFields(_ block: ArraySlice<UInt8>) throws(HeaderDisagreement) {
        for (name, offset, length) in numberFields {
            let field = block.dropFirst(offset).prefix(length)
            guard let marker = field.first, marker != 0, marker != 0x80, marker != 0xff else { continue }
            let rest = field.drop(while: { $0 == 0x20 }).drop(while: { $0 >= 0x30 && $0 <= 0x37 })
            if rest.contains(where: { $0 != 0x20 && $0 != 0 }) { throw .malformedNumber(name) }
        }
    }

    /// A numeric header field: octal digits (between optional spaces and NULs), or GNU base-256 when the high bit of
    /// its first byte is set.
    static func numericField(_ field: ArraySlice<UInt8>) -> Int64 {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            // Negative base-256 values (first byte 0xff) are no size; -1 makes every check refuse them.
            if first & 0x40 != 0 { return -1 }
            var value: Int64 = Int64(first & 0x3f)
            for byte in field.dropFirst() {
                // More than 63 bits cannot be a real size; saturate so the checks refuse it.
                guard value < Int64.max >> 8 else { return Int64.max }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        for byte in field.drop(while: { $0 == 0x20 || $0 == 0 }) {
            guard byte >= 0x30 && byte <= 0x37 else { break }
            value = value << 3 | Int64(byte - 0x30)
        }
        return value
    }

    /// The value of the last `key` record of a pax extended header ("LEN key=value\n" records).
    static func paxRecord(_ key: String, in records: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var rest = records
        var found: ArraySlice<UInt8>?
        while let space = rest.firstIndex(of: 0x20),
            let length = Int(String(decoding: rest[..<space], as: UTF8.self)), length > 0,
            length <= rest.count
        {
            let record = rest.prefix(length)
            let body = record[(space + 1)...].dropLast()  // without the trailing newline
            if let equals = body.firstIndex(of: 0x3d), body[..<equals].elementsEqual(key.utf8) {
                found = body[(equals + 1)...]
            }
            rest = rest.dropFirst(length)
        }
        return found
    }
}

/// How an entry's raw headers could be read differently from what libarchive reported.
public enum HeaderDisagreement: Error, Equatable, Sendable, CustomStringConvertible {
    /// The pax `size` record and the ustar size field (or the raw size and libarchive's) differ.
    case sizes(ustar: Int64, pax: Int64)
    /// The raw headers announce another size than libarchive read.
    case misread(header: Int64, read: Int64)
    /// A directory, link or device whose header announces data.
    case dataOnNonFile(size: Int64)
    /// The raw header blocks do not form a chain that ends in a header.
    case unparsable
    /// Two extension records of one kind for one header.
    case repeatedExtension(String)
    /// A numeric field (mode, uid, gid, size, mtime) that is neither octal nor base-256.
    case malformedNumber(String)

    public var description: String {
        switch self {
        case .sizes(let ustar, let pax): "its ustar size field says \(ustar) bytes, its pax size record \(pax)"
        case .misread(let header, let read): "its header announces \(header) bytes of data, libarchive read \(read)"
        case .dataOnNonFile(let size): "its header announces \(size) bytes of data for an entry that has none"
        case .unparsable: "its raw header blocks do not parse as a tar header"
        case .repeatedExtension(let kind): "its header has several \(kind)"
        case .malformedNumber(let field): "its header's \(field) field is not a well-formed number"
        }
    }
}
