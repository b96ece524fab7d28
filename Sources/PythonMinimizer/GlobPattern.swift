/// A shell-style pattern over image paths: `*` matches within one component, `**` across components, `?` one
/// character. Patterns match the whole path written with a leading `/`, e.g. `/usr/lib/python3*/**/tests/**`.
public struct GlobPattern: Hashable, Sendable {
    /// The pattern as given.
    public let text: String
    private let pattern: [UInt8]

    /// Makes a pattern.
    public init(_ text: String) {
        self.text = text
        pattern = Array(text.utf8)
    }

    /// Whether the pattern matches `path`.
    public func matches(_ path: ImagePath) -> Bool {
        Self.match(pattern[...], [0x2f] + path.bytes[...])
    }

    private static func match(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        switch first {
        case UInt8(ascii: "*"):
            let crossesDirectories = pattern.dropFirst().first == UInt8(ascii: "*")
            let rest = pattern.dropFirst(crossesDirectories ? 2 : 1)
            var candidate = name
            while true {
                if match(rest, candidate) { return true }
                guard let next = candidate.first, crossesDirectories || next != 0x2f else { return false }
                candidate = candidate.dropFirst()
            }
        case UInt8(ascii: "?"):
            guard let next = name.first, next != 0x2f else { return false }
            return match(pattern.dropFirst(), name.dropFirst())
        default:
            guard name.first == first else { return false }
            return match(pattern.dropFirst(), name.dropFirst())
        }
    }
}
