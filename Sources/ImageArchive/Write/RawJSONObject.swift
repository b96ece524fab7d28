import OCIImage

/// The top-level members of a JSON object as raw text, as Go reads a document into `map[string]*json.RawMessage`:
/// each value's bytes exactly as written (numbers keep their spelling), a repeated key's last value winning.
///
/// The document is one this run staged and already parsed strictly, so the scan only has to find where each value
/// ends; a document that is not an object gives no members.
struct RawJSONObject {
    /// The raw value of each key.
    private(set) var members: [String: [UInt8]] = [:]

    init(_ bytes: [UInt8], what: String) throws {
        var scanner = Scanner(bytes: bytes)
        scanner.skipSpace()
        guard scanner.take(UInt8(ascii: "{")) else { return }
        scanner.skipSpace()
        if scanner.take(UInt8(ascii: "}")) { return }
        repeat {
            scanner.skipSpace()
            let keyStart = scanner.position
            scanner.skipValue()
            let keyText = Array(bytes[keyStart..<scanner.position])
            guard case .string(let key) = try JSONValue.parse(keyText, what: what) else { return }
            scanner.skipSpace()
            guard scanner.take(UInt8(ascii: ":")) else { return }
            scanner.skipSpace()
            let valueStart = scanner.position
            scanner.skipValue()
            members[key] = Array(bytes[valueStart..<scanner.position])
            scanner.skipSpace()
        } while scanner.take(UInt8(ascii: ","))
    }

    /// Walks JSON text by its structure only.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[position]) { position += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// Moves past one value: a string, or a container up to its matching close, or a literal or number.
        mutating func skipValue() {
            guard position < bytes.count else { return }
            switch bytes[position] {
            case UInt8(ascii: "\""): skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while position < bytes.count {
                    switch bytes[position] {
                    case UInt8(ascii: "\""):
                        skipString()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    position += 1
                    if depth == 0 { return }
                }
            default:
                while position < bytes.count, !",}] \t\r\n".utf8.contains(bytes[position]) { position += 1 }
            }
        }

        private mutating func skipString() {
            position += 1
            while position < bytes.count {
                let byte = bytes[position]
                position += byte == UInt8(ascii: "\\") ? 2 : 1
                if byte == UInt8(ascii: "\"") { return }
            }
        }
    }
}
