import Foundation
import OCIImage
import TestSupport
import Testing

/// The strict JSON parser: what it accepts, and the one line that says what is wrong with what it refuses.
@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let text =
            #" {"a":[1,-0,2.5,1e2,true,false,null,"x\u00e9\ud83d\ude00\n\/"],"b":{},"c":[],"#
            + #""big":12345678901234567890,"min":-9223372036854775808} "#
        let value = try JSONValue.parse(Array(text.utf8), what: "doc")
        #expect(
            value
                == .object([
                    "a": .array([
                        .integer(1), .number(-0.0), .number(2.5), .number(100), .bool(true), .bool(false), .null,
                        .string("xé😀\n/"),
                    ]),
                    "b": .object([:]), "c": .array([]), "big": .number(12_345_678_901_234_567_890),
                    "min": .integer(Int64.min),
                ]))
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, #"duplicate key "a""#),
        (#"{"m":[{"d":1},{"d":1,"d":2}]}"#, #"duplicate key "m[1].d""#),
        (#"{"a":1,"\u0061":2}"#, #"duplicate key "a""#),
        (#"{"x":{"é":1,"\u00e9":2}}"#, #"duplicate key "x.é""#),
        (#"{"a":{"b":[0,{"c":{},"c":{}}]}}"#, #"duplicate key "a.b[1].c""#),
        // Text from the document cannot break the line or fake a quote.
        (#"{"a\nb\"\u2028":1,"a\nb\"\u2028":2}"#, #"duplicate key "a\nb\"\u2028""#),
        (#"[1,2"#, "invalid JSON: the document ends early"),
        ("", "invalid JSON: the document ends early"),
        (#"{"a":"x"#, "invalid JSON: the document ends early"),
        (#"{"a":1}x"#, "invalid JSON: unexpected 'x' at byte 7"),
        (#"{"a":01}"#, "invalid JSON: unexpected '1' at byte 6"),
        (#"{"a":1.}"#, "invalid JSON: unexpected '}' at byte 7"),
        (#"{"a":-}"#, "invalid JSON: unexpected '}' at byte 6"),
        (#"[1,]"#, "invalid JSON: unexpected ']' at byte 3"),
        (#"{"a":1,}"#, "invalid JSON: unexpected '}' at byte 7"),
        (#"{"a" 1}"#, "invalid JSON: unexpected '1' at byte 5"),
        (#"{1:2}"#, "invalid JSON: unexpected '1' at byte 1"),
        ("trux", "invalid JSON: unexpected 'x' at byte 3"),
        ("NaN", "invalid JSON: unexpected 'N' at byte 0"),
        ("\u{FEFF}{}", "invalid JSON: unexpected byte 0xef at byte 0"),
        (#"{"a":1e400}"#, "number 1e400 at byte 5 is too large"),
        (#"{"a":-1E+400}"#, "number -1E+400 at byte 5 is too large"),
        (#"{"a":"\ud800"}"#, #"invalid JSON: unpaired UTF-16 surrogate \u escape at byte 6"#),
        (#"{"a":"\ud800\u0041"}"#, #"invalid JSON: unpaired UTF-16 surrogate \u escape at byte 6"#),
        (#"{"a":"\udc00"}"#, #"invalid JSON: unpaired UTF-16 surrogate \u escape at byte 6"#),
        (#"{"a":"\x"}"#, "invalid JSON: invalid escape sequence at byte 6"),
        (#"{"a":"\u12g4"}"#, "invalid JSON: invalid escape sequence at byte 6"),
        ("{\"a\":\"\t\"}", "invalid JSON: unescaped control character byte 0x9 in a string at byte 6"),
    ])
    func refuses(text: String, reason: String) {
        #expect { try JSONValue.parse(Array(text.utf8), what: "doc") } throws: { "\($0)" == "doc: \(reason)" }
    }

    @Test(
        arguments: [
            ([0x22, 0xff, 0x22], 1),
            ([0x22, 0xc0, 0x80, 0x22], 1),  // overlong NUL
            ([0x22, 0x41, 0xe0, 0x80, 0x80, 0x22], 2),  // overlong
            ([0x22, 0xed, 0xa0, 0x80, 0x22], 1),  // an encoded surrogate
            ([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
            ([0x22, 0xe2, 0x82, 0x22], 1),  // cut short
            ([0x22, 0xe2, 0x82], 1),  // cut short by the end
            ([0x5b, 0x22, 0x80, 0x22, 0x5d], 2),  // a lone continuation byte
        ] as [([UInt8], Int)])
    func refusesInvalidUTF8AtItsOffset(bytes: [UInt8], offset: Int) {
        #expect { try JSONValue.parse(bytes, what: "doc") } throws: {
            "\($0)" == "doc: not valid UTF-8 at byte \(offset)"
        }
    }

    @Test func acceptsEveryLengthOfUTF8() throws {
        let text = "\"A\u{e9}\u{20ac}\u{1F600}\u{10FFFF}\""
        #expect(try JSONValue.parse(Array(text.utf8), what: "doc") == .string("A\u{e9}\u{20ac}\u{1F600}\u{10FFFF}"))
    }

    /// Large arrays and objects cost time in proportion to their size: an element added never copies those before
    /// it (which once made 80,000 members take minutes). No timing is asserted; this must simply finish.
    @Test func largeContainersParseInOnePass() throws {
        let count = 100_000
        let array = "[" + Array(repeating: "0", count: count).joined(separator: ",") + "]"
        #expect(try JSONValue.parse(Array(array.utf8), what: "doc").arrayValue?.count == count)
        let object = "{" + (0..<count).map { "\"k\($0)\":[\($0)]" }.joined(separator: ",") + "}"
        guard case .object(let members) = try JSONValue.parse(Array(object.utf8), what: "doc") else {
            Issue.record("not an object")
            return
        }
        #expect(members.count == count && members["k99999"] == .array([.integer(99_999)]))
    }

    /// Nesting costs no call stack and is bounded: 100,000 brackets are refused at the limit, not a crash.
    @Test func boundsNesting() throws {
        let limit = 512
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try JSONValue.parse(Array(deepest.utf8), what: "doc") != .null)
        #expect { try JSONValue.parse(Array(String(repeating: "[", count: 100_000).utf8), what: "doc") } throws: {
            "\($0)" == "doc: invalid JSON: nested more than 512 levels deep at byte 512"
        }
    }
}

/// Typed documents: field errors name the field and show the value found; documents must be what they are listed as.
@Suite struct DocumentCheckTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    private func index(size: String = "5", digest: String = Self.digest, mediaType: String = "\"x\"") -> [UInt8] {
        Array(#"{"manifests":[{"mediaType":\#(mediaType),"digest":"\#(digest)","size":\#(size)}]}"#.utf8)
    }

    @Test(arguments: [
        ("1.5", #"field "manifests[0].size" must be a non-negative integer, got 1.5"#),
        ("-1", #"field "manifests[0].size" must be a non-negative integer, got -1"#),
        ("null", #"field "manifests[0].size" must be a non-negative integer, got null"#),
        ("true", #"field "manifests[0].size" must be a non-negative integer, got true"#),
        ("{}", #"field "manifests[0].size" must be a non-negative integer, got an object"#),
        (#""1\r\n2""#, #"field "manifests[0].size" must be a non-negative integer, got "1\r\n2""#),
        ("1e400", "number 1e400 at byte 121 is too large"),
    ])
    func sizesMustBeNonNegativeIntegers(size: String, reason: String) {
        #expect { try ImageIndex.decode(index(size: size), what: "doc") } throws: { "\($0)" == "doc: \(reason)" }
    }

    @Test func fieldErrorsNameTheFieldAndTheValue() {
        #expect { try ImageIndex.decode(index(digest: "sha256:abc"), what: "doc") } throws: {
            "\($0)" == #"doc: field "manifests[0].digest": invalid digest "sha256:abc""#
        }
        #expect { try ImageIndex.decode(index(mediaType: "5"), what: "doc") } throws: {
            "\($0)" == #"doc: field "manifests[0].mediaType" must be a string, got 5"#
        }
        #expect { try ImageIndex.decode(Array(#"{"manifests":{}}"#.utf8), what: "doc") } throws: {
            "\($0)" == #"doc: field "manifests" must be an array, got an object"#
        }
        #expect {
            try ImageIndex.decode(Array(#"{"manifests":[{"mediaType":"x","size":1}]}"#.utf8), what: "doc")
        } throws: { "\($0)" == #"doc: missing field "manifests[0].digest""# }
    }

    /// Go-based tools match member names to fields without regard to case (and with Unicode folding): a variant of a
    /// member ocislim reads is a second copy of it to them.
    @Test(arguments: [
        ("\"Digest\":\"\(digest)\"", #"duplicate key "manifests[0].Digest": Go-based tools read it as "digest""#),
        ("\"\u{17F}ize\":1", #"duplicate key "manifests[0].\#u{17F}ize": Go-based tools read it as "size""#),
        ("\"MEDIATYPE\":\"y\"", #"duplicate key "manifests[0].MEDIATYPE": Go-based tools read it as "mediaType""#),
        (
            "\"platform\":{\"architecture\":\"a\",\"os\":\"linux\",\"OS\":\"windows\"}",
            #"duplicate key "manifests[0].platform.OS": Go-based tools read it as "os""#
        ),
    ])
    func refusesVariantsInCaseOfTheMembersItReads(member: String, reason: String) {
        let text = #"{"manifests":[{"mediaType":"x","digest":"\#(Self.digest)","size":1,\#(member)}]}"#
        #expect { try ImageIndex.read(Array(text.utf8), listedAs: nil, what: "doc") } throws: {
            "\($0)" == "doc: \(reason)"
        }
    }

    @Test func acceptsCaseVariantsWhereGoIsCaseSensitiveToo() throws {
        // Annotations are a map, and members ocislim does not read are not its business.
        let text =
            #"{"manifests":[{"mediaType":"x","digest":"\#(Self.digest)","size":1,"#
            + #""annotations":{"Foo":"1","foo":"2"},"urls":[],"URLs":[]}]}"#
        #expect(try ImageIndex.read(Array(text.utf8), listedAs: nil, what: "doc").manifests.count == 1)
        let config = #"{"rootfs":{"type":"layers","diff_ids":[]},"config":{"Env":[],"env":[]}}"#
        #expect { try ImageConfig.read(Array(config.utf8), what: "doc") } throws: {
            "\($0)" == #"doc: duplicate key "config.env": Go-based tools read it as "Env""#
        }
    }

    @Test func anIndexMustNotHaveAManifestsMembers() {
        for member in ["layers", "config"] {
            let text = #"{"manifests":[],"\#(member)":[]}"#
            #expect { try ImageIndex.read(Array(text.utf8), listedAs: MediaType.ociIndex, what: "doc") } throws: {
                "\($0)" == #"doc: has both "manifests" and "\#(member)""#
            }
        }
    }

    @Test func aManifestMustNotHaveManifests() {
        let text = #"{"config":{"mediaType":"x","digest":"\#(Self.digest)","size":1},"layers":[],"manifests":[]}"#
        #expect { try ImageManifest.read(Array(text.utf8), listedAs: MediaType.ociManifest, what: "doc") } throws: {
            "\($0)" == #"doc: has both "layers" and "manifests""#
        }
    }

    @Test func aDocumentIsTheMediaTypeItIsListedAs() throws {
        let text = #"{"mediaType":"\#(MediaType.dockerManifestList)","manifests":[]}"#
        #expect(
            try ImageIndex.read(Array(text.utf8), listedAs: MediaType.dockerManifestList, what: "d").manifests == [])
        #expect { try ImageIndex.read(Array(text.utf8), listedAs: MediaType.ociIndex, what: "doc") } throws: {
            "\($0)"
                == "doc: its mediaType is \(MediaType.dockerManifestList), but it is listed as \(MediaType.ociIndex)"
        }
        // index.json is listed by nothing: its own media type, if any, must be an index's.
        let manifestType = #"{"mediaType":"\#(MediaType.ociManifest)","manifests":[]}"#
        #expect { try ImageIndex.read(Array(manifestType.utf8), listedAs: nil, what: "index.json") } throws: {
            "\($0)" == "index.json: its mediaType is \(MediaType.ociManifest), which is not an index"
        }
    }

    @Test func aConfigsRootfsIsLayers() {
        let text = #"{"rootfs":{"type":"tarballs","diff_ids":[]}}"#
        #expect { try ImageConfig.read(Array(text.utf8), what: "doc") } throws: {
            "\($0)" == #"doc: rootfs.type is "tarballs", the spec allows only "layers""#
        }
    }
}

/// What `ImageLayout` opens: regular files only, documents within the limit.
@Suite struct LayoutFileTests {
    private func makeLayout() throws -> String {
        let path = NSTemporaryDirectory() + "layout-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: path + "/oci-layout"))
        return path
    }

    @Test func blobsThatAreNotRegularFilesAreRefusedByKind() throws {
        let path = try makeLayout()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let layout = try ImageLayout(path: path)
        let digest = try Digest(parsing: DocumentCheckTests.digest)
        let blobPath = layout.blobPath(digest)
        let descriptor = Descriptor(mediaType: "x", digest: digest, size: 10)
        try FileManager.default.createDirectory(atPath: blobPath, withIntermediateDirectories: false)
        #expect { try layout.readDocument(descriptor) } throws: {
            "\($0)" == "blob \(digest) is a directory, not a regular file (\(blobPath))"
        }
        try FileManager.default.removeItem(atPath: blobPath)
        try FileManager.default.createSymbolicLink(atPath: blobPath, withDestinationPath: "/dev/null")
        #expect { try layout.readDocument(descriptor) } throws: {
            "\($0)" == "blob \(digest) is a character device, not a regular file (\(blobPath))"
        }
        try FileManager.default.removeItem(atPath: blobPath)
        try FileManager.default.createSymbolicLink(atPath: blobPath, withDestinationPath: path + "/absent")
        #expect { try layout.readDocument(descriptor) } throws: {
            "\($0)" == "blob \(digest) is missing (\(blobPath))"
        }
    }

    @Test func documentsOverTheLimitAreRefusedUnread() throws {
        let path = try makeLayout()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let layout = try ImageLayout(path: path)
        let digest = try Digest(parsing: DocumentCheckTests.digest)
        let size = Int64(ImageLayout.documentLimit) + 1
        #expect { try layout.readDocument(Descriptor(mediaType: "x", digest: digest, size: size)) } throws: {
            "\($0)" == "blob \(digest): a \(size)-byte document is over the 64 MiB limit for documents"
        }
        // A sparse oci-layout over the limit: refused by its size, before a byte is read.
        #expect(truncate(path + "/oci-layout", off_t(size)) == 0)
        #expect { try ImageLayout(path: path) } throws: {
            "\($0)" == "\(path)/oci-layout: a \(size)-byte document is over the 64 MiB limit for documents"
        }
    }

    @Test func aLayoutPathThatIsNotADirectoryIsNamedSo() throws {
        let path = NSTemporaryDirectory() + "layout-" + UUID().uuidString
        #expect { try ImageLayout(path: path) } throws: {
            "\($0)" == "\(path) is not an OCI image layout: no such directory"
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { try ImageLayout(path: path) } throws: {
            "\($0)" == "\(path) is not an OCI image layout: not a directory"
        }
    }

    @Test func aDirectoryIndexJSONIsNotCalledMissing() throws {
        let path = try makeLayout()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let layout = try ImageLayout(path: path)
        #expect { try layout.indexBytes() } throws: {
            "\($0)" == "\(path) is not an OCI image layout: index.json is missing"
        }
        try FileManager.default.createDirectory(atPath: path + "/index.json", withIntermediateDirectories: false)
        #expect { try layout.indexBytes() } throws: {
            "\($0)" == "\(path) is not an OCI image layout: index.json is a directory, not a regular file"
        }
    }
}

/// Found by the JSON fuzzer on the earlier reader: invalid UTF-8 in a member the typed decoder skips. Both readers now
/// refuse it, so `rewrite` cannot do the layer work and fail late at the patch.
@Suite struct FuzzRegressionTests {
    /// Found by the JSON fuzzer: `-0.0` was written as `-0`, read back as the integer 0 and written as `0`.
    @Test func negativeZeroSurvivesItsOwnEncoding() throws {
        let value = try JSONValue.parse(Array(#"{"b":-0.0,"c":-0}"#.utf8), what: "doc")
        let encoded = try value.encoded()
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"b":-0,"c":-0}"#)
        #expect(try JSONValue.parse(encoded, what: "doc").encoded() == encoded)
    }

    @Test func invalidUTF8InAnUnknownMemberIsRefusedByTheTypedDecoder() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(
                "testdata/fuzz/json/regression-invalid-utf8-unknown-member")
        let bytes = Array(try Data(contentsOf: url))
        #expect(throws: OCIError.self) { try ImageManifest.decode(bytes, what: "manifest") }
        #expect(throws: OCIError.self) { try JSONValue.parse(bytes, what: "manifest") }
    }
}
