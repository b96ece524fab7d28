import Hashing
import OCIImage
import Testing

@testable import ImageArchive

/// The pieces that make the archives' documents as Go and Docker write them.
@Suite struct WriteDocumentTests {
    @Test func stringsAreEscapedAsGoEscapesThem() {
        let value = GoJSON.string("a<b>&c \"q\" \\ \n\t\u{1} é \u{2028}")
        #expect(
            String(decoding: value.encoded, as: UTF8.self)
                == #""a\u003cb\u003e\u0026c \"q\" \\ \n\t\u0001 é \u2028""#)
    }

    @Test func mapsAreSortedByTheirKeysBytesAndStructsKeepTheirOrder() {
        let value = GoJSON.object([
            ("z", .goMap([("b", .integer(1)), ("B", .bool(true)), ("a", .null)])), ("a", .strings(nil)),
        ])
        #expect(
            String(decoding: value.encodedLine, as: UTF8.self) == #"{"z":{"B":true,"a":null,"b":1},"a":null}"# + "\n")
    }

    @Test func rawMessagesAreCompactedWithHTMLEscaping() {
        let raw =
            Array(#"{ "a" : [1e3, "x < y \" } ", true ],"b":"\u00e9 <"#.utf8) + [0xe2, 0x80, 0xa9] + Array(#""}"#.utf8)
        #expect(
            String(decoding: GoJSON.raw(raw).encoded, as: UTF8.self)
                == #"{"a":[1e3,"x \u003c y \" } ",true],"b":"\u00e9 \u003c\u2029"}"#)
    }

    @Test(arguments: [
        ("2024-05-01T12:34:56Z", "2024-05-01T12:34:56Z"),
        ("2024-05-01T12:34:56.120000000Z", "2024-05-01T12:34:56.12Z"),
        ("2024-05-01T12:34:56.000Z", "2024-05-01T12:34:56Z"),
        ("2024-05-01t12:34:56+00:00", "2024-05-01T12:34:56Z"),
        ("2024-05-01T12:34:56.5+02:00", "2024-05-01T12:34:56.5+02:00"),
        ("yesterday", "yesterday"),
    ])
    func timesAreRewrittenAsGoWritesThem(text: String, go: String) {
        #expect(GoTime.reformat(text) == go)
    }

    @Test(arguments: [
        ("python", "python:latest", "docker.io/library/python:latest", "python"),
        ("python:3.12", "python:3.12", "docker.io/library/python:3.12", "python"),
        ("docker.io/library/python:3.12", "python:3.12", "docker.io/library/python:3.12", "python"),
        ("index.docker.io/library/python:3", "python:3", "docker.io/library/python:3", "python"),
        ("team/app:1", "team/app:1", "docker.io/team/app:1", "team/app"),
        ("docker.io/library/a/b:1", "library/a/b:1", "docker.io/library/a/b:1", "library/a/b"),
        ("localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app:latest", "localhost:5000/app"),
        ("ghcr.io/org/app:v1", "ghcr.io/org/app:v1", "ghcr.io/org/app:v1", "ghcr.io/org/app"),
    ])
    func namesAreNormalizedAsDockerNormalizesThem(text: String, familiar: String, full: String, repository: String)
        throws
    {
        let name = try #require(try TaggedName(parsing: text))
        #expect(name.familiar == familiar)
        #expect(name.full == full)
        #expect(name.familiarRepository == repository)
    }

    /// Reading (matching `RepoTags` with containerd's names) and writing normalise a name the same way.
    @Test(arguments: [
        "python", "python:3.12", "index.docker.io/library/python:3", "team/app:1", "docker.io/library/a/b:1",
        "localhost:5000/app", "ghcr.io/org/app:v1", "Registry/app:1",
    ])
    func readingAndWritingNormaliseNamesAlike(text: String) throws {
        let name = try #require(try TaggedName(parsing: text))
        #expect(DockerNames.normalized(text) == name.full)
        #expect(DockerNames.same(text, name.familiar))
    }

    @Test func namesPinnedByDigestHaveNoTag() throws {
        #expect(try TaggedName(parsing: "app@sha256:" + String(repeating: "0", count: 64)) == nil)
    }

    @Test(arguments: ["", "app:", ":1", "/app:1", "a//b:1"])
    func malformedNamesAreRefused(text: String) {
        let error = #expect(throws: ArchiveWriteError.self) { _ = try TaggedName(parsing: text) }
        #expect(error == .invalidTag(text))
    }

    @Test func rawObjectMembersKeepTheirSpelling() throws {
        let object = try RawJSONObject(
            Array(#" {"a": 1.50 , "b" :{"c":[1, "}"]}, "a\u0062c": "x\"y"} "#.utf8), what: "t")
        #expect(object.members["a"].map { String(decoding: $0, as: UTF8.self) } == "1.50")
        #expect(object.members["b"].map { String(decoding: $0, as: UTF8.self) } == #"{"c":[1, "}"]}"#)
        #expect(object.members["abc"].map { String(decoding: $0, as: UTF8.self) } == #""x\"y""#)
    }

    @Test func topV1ImageTakesTheConfigsMembersInMobysOrder() throws {
        let config = try JSONValue.parse(
            Array(
                (#"{"os":"linux","architecture":"arm64","variant":"v8","created":"2024-01-02T03:04:05.60Z","#
                    + #""config":{"Env":["A=<1>"],"Cmd":"sh","Labels":{"b":"2","a":"1"},"ExposedPorts":{"80/tcp":{}},"#
                    + #""Healthcheck":{"Test":["CMD","true"],"Interval":5000000000,"StartInterval":1},"StopTimeout":3},"#
                    + #""rootfs":{"type":"layers","diff_ids":[]},"history":[],"unknown":1}"#).utf8), what: "config")
        let image = LegacyV1Image(config: config, release: .docker24).withOS("linux")
        let digest = try Digest(parsing: "sha256:" + String(repeating: "1", count: 64))
        #expect(
            String(decoding: image.json(id: digest, parent: nil), as: UTF8.self)
                == #"{"id":"1111111111111111111111111111111111111111111111111111111111111111","#
                + #""created":"2024-01-02T03:04:05.6Z","container_config":{"Hostname":"","Domainname":"","User":"","#
                + #""AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"#
                + #""StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","#
                + #""Entrypoint":null,"OnBuild":null,"Labels":null},"config":{"Hostname":"","Domainname":"","#
                + #""User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"#
                + #""ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"#
                + #""Env":["A=\u003c1\u003e"],"Cmd":["sh"],"Healthcheck":{"Test":["CMD","true"],"#
                + #""Interval":5000000000},"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"#
                + #""OnBuild":null,"Labels":{"a":"1","b":"2"},"StopTimeout":3},"architecture":"arm64","#
                + #""variant":"v8","os":"linux"}"#)
    }

    /// A config Docker 20.10 made (`docker import` with changes, then `docker commit` with a health check), and the
    /// v1 ids its own `docker save` gave the image's two layers.
    @Test func v1IDsAreTheOnesDockerSaveGives() throws {
        let bytes = Array(
            (#"{"architecture":"amd64","author":"me \u003cm@x\u003e","config":{"Hostname":"a1770a3dab9f","Domai"#
                + #"nname":"","User":"nobody","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"ExposedPo"#
                + #"rts":{"443/udp":{},"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=\u003c"#
                + #"1\u003e\u0026B"],"Cmd":null,"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":5000000000,"Ti"#
                + #"meout":3000000000,"Retries":2},"Image":"rich:base","Volumes":{"/data":{}},"WorkingDir":"/w","Ent"#
                + #"rypoint":["/bin/x"],"OnBuild":null,"Labels":{"a":"1","b":"2"}},"container":"a1770a3dab9f94859710"#
                + #"d933d286f82272464f992a127f3b46a0c3abdbbac68a","container_config":{"Hostname":"a1770a3dab9f","Dom"#
                + #"ainname":"","User":"nobody","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Exposed"#
                + #"Ports":{"443/udp":{},"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=\u00"#
                + #"3c1\u003e\u0026B"],"Cmd":["/nothing"],"Image":"rich:base","Volumes":{"/data":{}},"WorkingDir":"/"#
                + #"w","Entrypoint":null,"OnBuild":null,"Labels":{"a":"1","b":"2"}},"created":"2026-11-29T01:06:25.4"#
                + #"94582026Z","docker_version":"20.10.24+dfsg1","history":[{"created":"2026-11-29T01:06:22.56460205"#
                + #"2Z","comment":"imported \u003ctest\u003e"},{"created":"2026-11-29T01:06:25.494582026Z","author":"#
                + #""me \u003cm@x\u003e","created_by":"/nothing","comment":"commit msg"}],"os":"linux","rootfs":{"ty"#
                + #"pe":"layers","diff_ids":["sha256:20dcec4f536d96379fc07f2711de07dd0721db62f9c7bd99456a9456af96525"#
                + #"f","sha256:90f9d62482ca5061a78296b5cfc05e40018717296cb581c6f9009fbc982b6dbf"]}}"#).utf8)
        #expect(
            try SHA256Hasher.hash(bytes).hexString == "a51db6c5e528efa8e84d25351c6ad1cf5a4f00a853263be5a87880ce56118f69"
        )
        let config = try JSONValue.parse(bytes, what: "config")
        let diffIDs = try ImageConfig.read(bytes, what: "config").rootfs.diffIDs
        let chainTop = try SHA256Hasher.hash(Array("\(diffIDs[0]) \(diffIDs[1])".utf8)).hexString
        let bottom = try LegacyV1Image.intermediate(release: .docker24).id(chainID: diffIDs[0], parent: nil)
        #expect(bottom.encoded == "80b7ed42662294c0f27fda37d288ba79467cadf4684a9641d0923ba18424763e")
        let top = try LegacyV1Image(config: config, release: .docker24).id(
            chainID: Digest(sha256Hex: chainTop), parent: bottom)
        #expect(top.encoded == "557d7f05490b20242c7160b7e54e01e14e9aa1692cf57413a85e4766de3c845b")
    }
}
