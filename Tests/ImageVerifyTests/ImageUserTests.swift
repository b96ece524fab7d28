import Foundation
import TestSupport
import Testing

@testable import ImageVerify

/// The config's `User`, resolved as a runtime resolves it: through the image's own `/etc/passwd` and `/etc/group`.
@Suite struct ImageUserTests {
    private static let passwd = """
        root:x:0:0:root:/root:/bin/bash
        app:x:1000:1001:App:/home/app:/bin/sh
        broken line
        """
    private static let group = "root:x:0:\nstaff:x:50:app\napp:x:1001:\n"

    @Test(arguments: [
        ("", ImageUser.root),
        ("app", ImageUser(uid: 1000, gid: 1001)),
        ("1000", ImageUser(uid: 1000, gid: 1001)),
        ("4242", ImageUser(uid: 4242, gid: 0)),
        ("app:staff", ImageUser(uid: 1000, gid: 50)),
        ("app:7", ImageUser(uid: 1000, gid: 7)),
        ("4242:4343", ImageUser(uid: 4242, gid: 4343)),
        ("root", ImageUser.root),
    ])
    func resolves(user: String, expected: ImageUser) throws {
        #expect(try ImageUser.resolve(user, passwd: Self.passwd, group: Self.group) == expected)
    }

    @Test func anUnlistedNameIsAnError() {
        #expect(throws: VerifyError.unknownUser(user: "web", name: "web", file: "/etc/passwd")) {
            try ImageUser.resolve("web", passwd: Self.passwd, group: Self.group)
        }
        #expect(throws: VerifyError.unknownUser(user: "app:wheel", name: "wheel", file: "/etc/group")) {
            try ImageUser.resolve("app:wheel", passwd: Self.passwd, group: Self.group)
        }
        #expect(throws: VerifyError.unknownUser(user: "app", name: "app", file: "/etc/passwd")) {
            try ImageUser.resolve("app", passwd: nil, group: nil)
        }
        #expect(
            VerifyError.unknownUser(user: "web", name: "web", file: "/etc/passwd").description
                == "the image runs as User \"web\", and its /etc/passwd does not list web")
        #expect(VerifyError.unknownUser(user: "web", name: "web", file: "/etc/passwd").exitStatus == 1)
    }

    @Test func accountFilesAreReadInsideTheTreeWithoutFollowingLinks() throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let root = fixture.path("root")
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try Self.passwd.write(toFile: root + "/etc/passwd", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/group", withDestinationPath: "/etc/group")
        let tree = try RootedTree(root: root)
        let etc = { (name: String) in EntryPath(components: [Array("etc".utf8CString), Array(name.utf8CString)]) }
        #expect(try tree.text(of: etc("passwd")) == Self.passwd)
        #expect(try tree.text(of: etc("group")) == nil)
        #expect(try tree.text(of: etc("shadow")) == nil)
    }
}
