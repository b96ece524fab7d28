// https://www.rfc-editor.org/rfc/rfc8259 (JSON)
// https://www.rfc-editor.org/rfc/rfc7493 (I-JSON, which the OCI image spec requires of its documents)

/// What makes a document not strict JSON, with the byte offset (from 0) where it was found.
public enum JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidUTF8(offset: Int)
    case unexpectedByte(UInt8, offset: Int)
    case unexpectedEnd
    /// The same member name twice in one object (after unescaping), with its path in the document.
    case duplicateKey(path: String)
    /// A member that Go's case-insensitive field matching reads as `field`, which ocislim reads (see `ReadFields`).
    case caseVariantKey(path: String, field: String)
    case numberOutOfRange(String, offset: Int)
    case invalidEscape(offset: Int)
    case unpairedSurrogate(offset: Int)
    case controlCharacter(UInt8, offset: Int)
    case tooDeep(limit: Int, offset: Int)

    public var description: String {
        switch self {
        case .invalidUTF8(let offset): "not valid UTF-8 at byte \(offset)"
        case .unexpectedByte(let byte, let offset): "invalid JSON: unexpected \(Self.show(byte)) at byte \(offset)"
        case .unexpectedEnd: "invalid JSON: the document ends early"
        case .duplicateKey(let path): "duplicate key \"\(path.escapedForMessage)\""
        case .caseVariantKey(let path, let field):
            "duplicate key \"\(path.escapedForMessage)\": Go-based tools read it as \"\(field)\""
        case .numberOutOfRange(let text, let offset): "number \(text) at byte \(offset) is too large"
        case .invalidEscape(let offset): "invalid JSON: invalid escape sequence at byte \(offset)"
        case .unpairedSurrogate(let offset): "invalid JSON: unpaired UTF-16 surrogate \\u escape at byte \(offset)"
        case .controlCharacter(let byte, let offset):
            "invalid JSON: unescaped control character \(Self.show(byte)) in a string at byte \(offset)"
        case .tooDeep(let limit, let offset): "invalid JSON: nested more than \(limit) levels deep at byte \(offset)"
        }
    }

    private static func show(_ byte: UInt8) -> String {
        (0x21...0x7e).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: false))"
    }
}

/// A strict JSON parser: RFC 8259 grammar, UTF-8 only (no byte order mark), and the I-JSON rules that matter to
/// readers that disagree: no duplicate member names (Go keeps the last, Foundation the first), no unpaired
/// surrogates, no number beyond a 64-bit float.
///
/// It walks the bytes once with an explicit stack, so a deeply nested document costs no call stack; nesting is
/// bounded anyway, as Foundation's decoder (which then decodes the typed fields) bounds it.
struct JSONParser {
    /// Objects and arrays nested deeper than this are refused.
    static let depthLimit = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0

    /// An object or array being filled. Frames are changed in place on the stack (never taken out and put back),
    /// so that each element added costs no copy of those before it.
    private struct Frame {
        let isObject: Bool
        var elements: [JSONValue] = []
        var members: [String: JSONValue] = [:]
        /// The member whose value is being parsed, in an object.
        var key = ""
    }

    private var stack: [Frame] = []

    /// Parses a whole document.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> JSONValue in
            var parser = JSONParser(bytes: buffer)
            return try parser.parseDocument()
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // MARK: Structure

    private mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        while true {
            var value = try parseValueOrOpen()
            // A complete value: hand it to the containers it closes, until one expects another value.
            while let container = try attach(value) { value = container }
            if stack.isEmpty {
                skipWhitespace()
                guard offset == bytes.count else { throw .unexpectedByte(bytes[offset], offset: offset) }
                return value
            }
        }
    }

    /// Parses a scalar, an empty container, or opens a container (pushing a frame) and parses its first value.
    private mutating func parseValueOrOpen() throws(JSONSyntaxError) -> JSONValue {
        while true {
            skipWhitespace()
            let byte = try peek()
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard stack.count < Self.depthLimit else { throw .tooDeep(limit: Self.depthLimit, offset: offset) }
                offset += 1
                skipWhitespace()
                let isObject = byte == UInt8(ascii: "{")
                if try peek() == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    offset += 1
                    return isObject ? .object([:]) : .array([])
                }
                stack.append(Frame(isObject: isObject))
                if isObject { try parseKey() }
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
            case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
            case UInt8(ascii: "n"): return try parseLiteral("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw .unexpectedByte(byte, offset: offset)
            }
        }
    }

    /// Adds `value` to the innermost container. Returns the container when `value` was its last element (the
    /// container is then complete), nil when the container expects another value or there is none.
    private mutating func attach(_ value: JSONValue) throws(JSONSyntaxError) -> JSONValue? {
        guard !stack.isEmpty else { return nil }
        let top = stack.count - 1
        let isObject = stack[top].isObject
        if isObject {
            let key = stack[top].key
            stack[top].members[key] = value
        } else {
            stack[top].elements.append(value)
        }
        skipWhitespace()
        let byte = try peek()
        switch byte {
        case UInt8(ascii: ","):
            offset += 1
            if isObject {
                skipWhitespace()
                try parseKey()
            }
            return nil
        case isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"):
            offset += 1
            let frame = stack.removeLast()
            return isObject ? .object(frame.members) : .array(frame.elements)
        default: throw .unexpectedByte(byte, offset: offset)
        }
    }

    /// Parses `"name" :` into the innermost frame, an object, refusing a name it already has.
    private mutating func parseKey() throws(JSONSyntaxError) {
        let byte = try peek()
        guard byte == UInt8(ascii: "\"") else { throw .unexpectedByte(byte, offset: offset) }
        let key = try parseString()
        let top = stack.count - 1
        if stack[top].members[key] != nil { throw .duplicateKey(path: path(appending: key)) }
        skipWhitespace()
        let colon = try peek()
        guard colon == UInt8(ascii: ":") else { throw .unexpectedByte(colon, offset: offset) }
        offset += 1
        stack[top].key = key
    }

    /// The path of member `key` of the innermost object: `manifests[0].digest`.
    private func path(appending key: String) -> String {
        var parts = ""
        for frame in stack.dropLast() {
            if frame.isObject {
                parts += parts.isEmpty ? frame.key : ".\(frame.key)"
            } else {
                parts += "[\(frame.elements.count)]"
            }
        }
        return parts.isEmpty ? key : "\(parts).\(key)"
    }

    // MARK: Scalars

    private mutating func parseLiteral(_ text: StaticString, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        for expected in UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) {
            guard offset < bytes.count else { throw .unexpectedEnd }
            guard bytes[offset] == expected else { throw .unexpectedByte(bytes[offset], offset: offset) }
            offset += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: an integer when it is one and fits 64 bits, else a
    /// double, which must be finite.
    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let first = try peek()
        if first == UInt8(ascii: "0") {
            offset += 1
        } else {
            try digits()
        }
        var integral = true
        if offset < bytes.count && bytes[offset] == UInt8(ascii: ".") {
            integral = false
            offset += 1
            try digits()
        }
        if offset < bytes.count && (bytes[offset] | 0x20) == UInt8(ascii: "e") {
            integral = false
            offset += 1
            if offset < bytes.count && (bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-")) {
                offset += 1
            }
            try digits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        // "-0" is the floating-point negative zero (as Go reads it into a float64, and as JSONEncoder writes -0.0):
        // an integer would lose its sign, so a document would not survive its own encoding.
        if integral, text != "-0", let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw .numberOutOfRange(text, offset: start) }
        return .number(value)
    }

    /// One or more ASCII digits.
    private mutating func digits() throws(JSONSyntaxError) {
        let byte = try peek()
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
            throw .unexpectedByte(byte, offset: offset)
        }
        while offset < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
    }

    /// A string, from its opening quote; escapes decoded, UTF-8 checked.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        offset += 1
        var text: [UInt8] = []
        while true {
            guard offset < bytes.count else { throw .unexpectedEnd }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &text)
            case 0..<0x20:
                throw .controlCharacter(byte, offset: offset)
            case 0x20..<0x80:
                text.append(byte)
                offset += 1
            default:
                let length = try utf8SequenceLength(at: offset)
                text.append(contentsOf: bytes[offset..<(offset + length)])
                offset += length
            }
        }
    }

    private mutating func parseEscape(into text: inout [UInt8]) throws(JSONSyntaxError) {
        let start = offset
        offset += 1
        guard offset < bytes.count else { throw .unexpectedEnd }
        let letter = bytes[offset]
        offset += 1
        let simple: UInt8? =
            switch letter {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): letter
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0c
            case UInt8(ascii: "n"): 0x0a
            case UInt8(ascii: "r"): 0x0d
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            text.append(simple)
            return
        }
        guard letter == UInt8(ascii: "u") else { throw .invalidEscape(offset: start) }
        var unit = try hex4(escapeAt: start)
        if (0xdc00...0xdfff).contains(unit) { throw .unpairedSurrogate(offset: start) }
        if (0xd800...0xdbff).contains(unit) {
            let low = offset
            guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
            else { throw .unpairedSurrogate(offset: start) }
            offset += 2
            let second = try hex4(escapeAt: low)
            guard (0xdc00...0xdfff).contains(second) else { throw .unpairedSurrogate(offset: start) }
            unit = 0x10000 + ((unit - 0xd800) << 10) + (second - 0xdc00)
        }
        // Not a surrogate here, so always a scalar.
        guard let scalar = Unicode.Scalar(unit) else { throw .unpairedSurrogate(offset: start) }
        text.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    /// Four hex digits of a `\u` escape.
    private mutating func hex4(escapeAt start: Int) throws(JSONSyntaxError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw .unexpectedEnd }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidEscape(offset: start)
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence at `start` (Unicode 15, table 3-7): no overlong forms, no
    /// encoded surrogates, nothing above U+10FFFF.
    private func utf8SequenceLength(at start: Int) throws(JSONSyntaxError) -> Int {
        let lead = bytes[start]
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xbf
        switch lead {
        case 0xc2...0xdf: length = 2
        case 0xe0:
            length = 3
            second = 0xa0...0xbf
        case 0xe1...0xec, 0xee...0xef: length = 3
        case 0xed:
            length = 3
            second = 0x80...0x9f
        case 0xf0:
            length = 4
            second = 0x90...0xbf
        case 0xf1...0xf3: length = 4
        case 0xf4:
            length = 4
            second = 0x80...0x8f
        default: throw .invalidUTF8(offset: start)
        }
        guard start + length <= bytes.count else { throw .invalidUTF8(offset: start) }
        guard second.contains(bytes[start + 1]) else { throw .invalidUTF8(offset: start) }
        for index in (start + 2)..<(start + length) where !(0x80...0xbf).contains(bytes[index]) {
            throw .invalidUTF8(offset: start)
        }
        return length
    }

    // MARK: Bytes

    private func peek() throws(JSONSyntaxError) -> UInt8 {
        guard offset < bytes.count else { throw .unexpectedEnd }
        return bytes[offset]
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0a, 0x0d: offset += 1
            default: return
            }
        }
    }
}
