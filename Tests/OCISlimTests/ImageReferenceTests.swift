import OCISlim
import Testing

/// skopeo's transport grammar, as ocislim parses it.
@Suite struct ImageReferenceTests {
    @Test(arguments: [
        ("dir", ImageReference(transport: nil, path: "dir")),
        ("./a:b", ImageReference(transport: nil, path: "./a:b")),
        ("-", ImageReference(transport: nil, path: "-")),
        ("oci:dir", ImageReference(transport: .oci, path: "dir")),
        ("oci:/x/dir:latest", ImageReference(transport: .oci, path: "/x/dir", selector: .name("latest"))),
        ("oci-archive:a.tar:v1", ImageReference(transport: .ociArchive, path: "a.tar", selector: .name("v1"))),
        ("docker-archive:a.tar", ImageReference(transport: .dockerArchive, path: "a.tar")),
        (
            "docker-archive:a.tar:example.com/app:1.2",
            ImageReference(transport: .dockerArchive, path: "a.tar", selector: .name("example.com/app:1.2"))
        ),
        ("docker-archive:a.tar:@1", ImageReference(transport: .dockerArchive, path: "a.tar", selector: .position(1))),
        ("docker-archive:a.tar@2", ImageReference(transport: .dockerArchive, path: "a.tar", selector: .position(2))),
        ("docker-archive:-", ImageReference(transport: .dockerArchive, path: "-")),
    ])
    func parses(text: String, expected: ImageReference) throws {
        let reference = try ImageReference(parsing: text)
        #expect(reference == expected)
        #expect(reference.description == expected.description)
    }

    @Test(arguments: [
        ("oci:", "invalid reference \"oci:\": no path"),
        ("oci:dir:", "invalid reference \"oci:dir:\": empty name after ':'"),
        (
            "docker-archive:a.tar:app",
            "invalid reference \"docker-archive:a.tar:app\": a docker-archive image is named NAME:TAG"
        ),
        (
            "docker-archive:a.tar:@x",
            "invalid reference \"docker-archive:a.tar:@x\": '@' must be followed by an image's position (0, 1, …)"
        ),
    ])
    func refuses(text: String, message: String) {
        #expect(throws: ReferenceError.self) { try ImageReference(parsing: text) }
        do {
            _ = try ImageReference(parsing: text)
        } catch {
            #expect("\(error)" == message)
        }
    }
}
