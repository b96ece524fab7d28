/// A path inside the image filesystem, as raw bytes, normalized: no leading `/` or `./`, no trailing `/`.
///
/// Tar spells the same path several ways (`./usr/lib`, `usr/lib/`); layers are merged on this form.
public struct ImagePath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The normalized bytes.
    public let bytes: [UInt8]

    /// Normalizes a tar name.
    public init(tarName: [UInt8]) {
        var slice = tarName[...]
        while true {
            if slice.starts(with: [0x2e, 0x2f]) {
                slice = slice.dropFirst(2)
            }  // "./"
            else if slice.first == 0x2f {
                slice = slice.dropFirst()
            }  // "/"
            else {
                break
            }
        }
        while slice.last == 0x2f { slice = slice.dropLast() }
        if slice == [0x2e][...] { slice = [] }
        bytes = Array(slice)
    }

    /// Normalizes a string path.
    public init(_ string: String) { self.init(tarName: Array(string.utf8)) }

    /// The last component.
    public var name: ArraySlice<UInt8> {
        guard let slash = bytes.lastIndex(of: 0x2f) else { return bytes[...] }
        return bytes[(slash + 1)...]
    }

    /// The directory holding this path; the root's parent is the root.
    public var parent: ImagePath {
        guard let slash = bytes.lastIndex(of: 0x2f) else { return ImagePath(tarName: []) }
        return ImagePath(tarName: Array(bytes[..<slash]))
    }

    /// The path's components.
    public var components: [ArraySlice<UInt8>] { bytes.split(separator: 0x2f) }

    /// This path with one more component.
    public func appending(_ component: String) -> ImagePath {
        ImagePath(tarName: bytes.isEmpty ? Array(component.utf8) : bytes + [0x2f] + Array(component.utf8))
    }

    /// This path with one more component given as raw bytes.
    public func appending(bytes component: some Collection<UInt8>) -> ImagePath {
        ImagePath(tarName: bytes.isEmpty ? Array(component) : bytes + [0x2f] + Array(component))
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (lhs: ImagePath, rhs: ImagePath) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

extension ArraySlice where Element == UInt8 {
    func hasSuffix(_ suffix: String) -> Bool { self.reversed().starts(with: suffix.utf8.reversed()) }
    func hasPrefix(_ prefix: String) -> Bool { self.starts(with: prefix.utf8) }
    var text: String { String(decoding: self, as: UTF8.self) }
}
