// https://pkg.go.dev/encoding/json#Marshal
// The documents of a `docker save` archive are written by Go's encoding/json; their bytes (and the v1 ids hashed from
// them) are reproduced only with its rules: struct members in declaration order, map keys sorted by their bytes,
// `<`, `>`, `&`, U+2028 and U+2029 escaped in strings, raw messages compacted.

/// A JSON value laid out as Go's encoding/json writes it.
// `Sendable` is declared: Swift 6.0 infers it for this recursive enum of tuples through a cycle and fails to build
// ("circular reference") whenever a file using it is compiled alone.
enum GoJSON: Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([GoJSON])
    /// An object whose members are written in the given order (a Go struct).
    case object([(String, GoJSON)])
    /// JSON text already encoded (a `json.RawMessage`), written compacted.
    case raw([UInt8])

    /// A Go map: its members sorted by the bytes of their keys.
    static func goMap(_ members: [(String, GoJSON)]) -> GoJSON {
        .object(members.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) })
    }

    /// A Go `[]string`: `null` when absent.
    static func strings(_ values: [String]?) -> GoJSON {
        values.map { .array($0.map(GoJSON.string)) } ?? .null
    }

    /// `json.Marshal`'s bytes.
    var encoded: [UInt8] {
        var output: [UInt8] = []
        write(into: &output)
        return output
    }

    /// `json.NewEncoder(w).Encode`'s bytes: the same, and a newline.
    var encodedLine: [UInt8] { encoded + [0x0a] }

    private func write(into output: inout [UInt8]) {
        switch self {
        case .null: output += Array("null".utf8)
        case .bool(let value): output += Array((value ? "true" : "false").utf8)
        case .integer(let value): output += Array(String(value).utf8)
        case .string(let value): Self.writeString(value, into: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (position, value) in values.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                value.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (position, (key, value)) in members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                value.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .raw(let bytes): Self.compact(bytes, into: &output)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A string as Go writes it with HTML escaping (the default of `json.Marshal`). Control characters other than
    /// `\n`, `\r` and `\t` are written `\u00XX`, as the Go releases that built Docker 20–25 write them.
    static func writeString(_ value: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x22: output += [0x5c, 0x22]
            case 0x5c: output += [0x5c, 0x5c]
            case 0x0a: output += [0x5c, UInt8(ascii: "n")]
            case 0x0d: output += [0x5c, UInt8(ascii: "r")]
            case 0x09: output += [0x5c, UInt8(ascii: "t")]
            case 0x00..<0x20, 0x3c, 0x3e, 0x26, 0x2028, 0x2029: writeUnicodeEscape(scalar.value, into: &output)
            default: output += Array(String(scalar).utf8)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func writeUnicodeEscape(_ value: UInt32, into output: inout [UInt8]) {
        output += [0x5c, UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(hexDigits[Int((value >> UInt32(shift)) & 0xf)])
        }
    }

    /// Go's `json.Compact` with HTML escaping, as `json.Marshal` applies it to a `json.RawMessage`: whitespace
    /// outside strings dropped, `<`, `>`, `&`, U+2028 and U+2029 inside strings escaped, everything else as it is.
    static func compact(_ bytes: [UInt8], into output: inout [UInt8]) {
        var inString = false
        var escaped = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            defer { index += 1 }
            if !inString {
                if byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d { continue }
                if byte == 0x22 { inString = true }
                output.append(byte)
                continue
            }
            if escaped {
                escaped = false
                output.append(byte)
                continue
            }
            switch byte {
            case 0x5c:
                escaped = true
                output.append(byte)
            case 0x22:
                inString = false
                output.append(byte)
            case 0x3c, 0x3e, 0x26: writeUnicodeEscape(UInt32(byte), into: &output)
            case 0xe2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] & 0xfe) == 0xa8:
                writeUnicodeEscape(0x2000 | UInt32(bytes[index + 2] - 0x80), into: &output)
                index += 2
            default: output.append(byte)
            }
        }
    }
}
