import Foundation

/// Any JSON document, kept whole so that changed documents are patched without losing fields.
///
/// Output uses sorted keys and no whitespace: deterministic whatever the dictionary order. Unchanged documents are
/// never re-encoded; their original bytes are copied.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    static let decoder = JSONDecoder()

    /// Parses a document strictly (see `JSONParser`), naming it in the error.
    public static func parse(_ bytes: [UInt8], what: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw OCIError.malformedJSON(what: what, error)
        }
    }

    /// The document's bytes: sorted keys, no insignificant whitespace, slashes unescaped.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The member `key` of an object.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let members) = self else { return nil }
            return members[key]
        }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// The string value, if this is a string.
    public var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    /// A short human text for a failure to decode typed fields from `document`, which holds the value found.
    static func explain(_ error: Error, in document: JSONValue) -> String {
        switch error {
        case FieldError.rule(let codingPath, let rule):
            return "field \"\(path(codingPath))\" \(rule), got \(document.describe(at: codingPath))"
        case FieldError.invalid(let codingPath, let underlying):
            return "field \"\(path(codingPath))\": \(underlying)"
        case DecodingError.keyNotFound(let key, let context):
            return "missing field \"\(path(context.codingPath + [key]))\""
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\" must be \(kind(type)), "
                + "got \(document.describe(at: context.codingPath))"
        case DecodingError.dataCorrupted(let context):
            return "field \"\(path(context.codingPath))\": \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    /// The JSON kind a Swift type decodes from, in the user's terms.
    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int64.Type, is Int.Type, is Int32.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : "\(type)".hasPrefix("Dictionary") ? "an object" : "\(type)"
        }
    }

    /// The value at `codingPath`, shown briefly: scalars as JSON, containers by kind.
    func describe(at codingPath: [CodingKey]) -> String {
        var value: JSONValue? = self
        for key in codingPath {
            if let index = key.intValue, let elements = value?.arrayValue {
                value = elements.indices.contains(index) ? elements[index] : nil
            } else {
                value = value?[key.stringValue]
            }
        }
        switch value {
        case nil: return "nothing"
        case .null: return "null"
        case .bool(let flag): return "\(flag)"
        case .integer(let number): return "\(number)"
        case .number(let number): return "\(number)"
        case .string(let text):
            return text.count > 80 ? "a \(text.utf8.count)-byte string" : "\"\(text.escapedForMessage)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
            .escapedForMessage
    }
}

/// A field that decodes but breaks a rule of the spec; thrown by `init(from:)` of a document type, with the path
/// that `explain` shows.
enum FieldError: Error {
    /// The field's value must meet `rule` (a phrase like "must be a non-negative integer").
    case rule(codingPath: [CodingKey], rule: String)
    /// The field's value is invalid for the reason `underlying` gives.
    case invalid(codingPath: [CodingKey], underlying: OCIError)
}

extension JSONValue {
    /// Replaces the `digest` and `size` of a descriptor object, keeping its other fields.
    public mutating func setDescriptorTarget(digest: Digest, size: Int64) {
        self["digest"] = .string(digest.description)
        self["size"] = .integer(size)
    }
}
