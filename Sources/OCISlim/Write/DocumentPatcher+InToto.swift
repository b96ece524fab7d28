// https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md

import OCIImage

extension DocumentPatcher {
    /// An in-toto statement whose `subject` entries naming `old` name `new` instead, every other byte as it was: the
    /// predicate (and the statement's own layout, indentation and key order) is never re-encoded. Only the bytes of
    /// the top-level `subject` value are touched, where each occurrence of the old hex becomes the new hex (same
    /// length), which covers `subject[].digest.sha256` and a `name` that embeds the digest. Returns nil when the
    /// statement has no subject naming `old`.
    static func statement(_ bytes: [UInt8], from old: Digest, to new: Digest, what: String) throws -> [UInt8]? {
        let document = try JSONValue.parse(bytes, what: what)
        let named =
            document["subject"]?.arrayValue?.contains { $0["digest"]?["sha256"]?.stringValue == old.encoded }
            ?? false
        guard named, let span = try TopLevelMembers.span(of: "subject", in: bytes, what: what) else { return nil }
        let oldHex = Array(old.encoded.utf8)
        let newHex = Array(new.encoded.utf8)
        var patched = bytes
        var position = span.lowerBound
        while position + oldHex.count <= span.upperBound {
            if patched[position..<(position + oldHex.count)].elementsEqual(oldHex) {
                patched.replaceSubrange(position..<(position + oldHex.count), with: newHex)
                position += oldHex.count
            } else {
                position += 1
            }
        }
        return patched
    }
}

/// Finds where a member's value sits in a JSON object's bytes, without parsing what it skips into values. The
/// document was checked by the strict parser first, so only its structure needs following here.
private enum TopLevelMembers {
    /// The byte range of the value of the top-level member `name`, nil when the object has none.
    static func span(of name: String, in bytes: [UInt8], what: String) throws -> Range<Int>? {
        var position = skipSpace(bytes, from: 0)
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") else { return nil }
        position += 1
        while true {
            position = skipSpace(bytes, from: position)
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
            let keyEnd = skipString(bytes, from: position)
            let key = try JSONValue.parse(Array(bytes[position..<keyEnd]), what: what).stringValue
            position = skipSpace(bytes, from: keyEnd)
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipSpace(bytes, from: position + 1)
            let valueEnd = skipValue(bytes, from: valueStart)
            if key == name { return valueStart..<valueEnd }
            position = skipSpace(bytes, from: valueEnd)
            guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return nil }
            position += 1
        }
    }

    private static func skipSpace(_ bytes: [UInt8], from start: Int) -> Int {
        var position = start
        while position < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[position]) { position += 1 }
        return position
    }

    /// The end of the string starting at `start` (its opening quote), after the closing quote.
    private static func skipString(_ bytes: [UInt8], from start: Int) -> Int {
        var position = start + 1
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""): return position + 1
            default: position += 1
            }
        }
        return position
    }

    /// The end of the value starting at `start`: a string, a nested object or array (strings inside skipped whole),
    /// or a literal or number (up to the next delimiter).
    private static func skipValue(_ bytes: [UInt8], from start: Int) -> Int {
        guard start < bytes.count else { return start }
        var position = start
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return skipString(bytes, from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""): position = skipString(bytes, from: position)
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    position += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    position += 1
                    if depth == 0 { return position }
                default: position += 1
                }
            }
            return position
        default:
            let delimiters: Set<UInt8> = [
                UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0a, 0x0d,
            ]
            while position < bytes.count, !delimiters.contains(bytes[position]) { position += 1 }
            return position
        }
    }
}
