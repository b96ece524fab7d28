import Foundation
import OCIImage
import TestSupport
import Testing

@testable import ImageVerify

#if canImport(Glibc)
    import Glibc
#endif

/// Materialising an image: layers stacked in order with whiteouts and opaque directories, through libarchive's secure
/// extraction. Layouts are built in code; each test checks the tree on disk.
@Suite struct MaterializerTests {
    /// Writes a layout of `layers`, materialises it into `fixture/root` and returns the tree.
    private static func materialize(_ layers: [FixtureLayer], in fixture: LayoutFixture) async throws
        -> MaterializedTree
    {
        let layout = try fixture.writeLayout("layout", images: [layers])
        let image = try ImageUnderTest.open(layout, platforms: [])
        let root = fixture.path("root")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        return try await FilesystemMaterializer(source: image.source, layers: image.layers).materialize(into: root)
    }

    private static func type(_ path: String) -> mode_t? {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : nil
    }

    private static func text(_ path: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Merge

    @Test func laterLayersReplaceEarlierFiles() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tree = try await Self.materialize(
            [
                FixtureLayer(entries: [.directory("etc"), .text("etc/motd", "one"), .text("etc/hosts", "h")]),
                FixtureLayer(entries: [.text("etc/motd", "two")]),
            ], in: fixture)
        #expect(Self.text(tree.root + "/etc/motd") == "two")
        #expect(Self.text(tree.root + "/etc/hosts") == "h")
        #expect(tree.refusals.isEmpty)
    }

    @Test func whiteoutRemovesAFileAndADirectoryOfLowerLayers() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tree = try await Self.materialize(
            [
                FixtureLayer(entries: [
                    .directory("a"), .text("a/keep", "1"), .text("a/gone", "1"), .directory("a/tree"),
                    .text("a/tree/deep", "1"),
                ]),
                FixtureLayer(entries: [.text("a/.wh.gone", ""), .text("a/.wh.tree", "")]),
            ], in: fixture)
        #expect(Self.text(tree.root + "/a/keep") == "1")
        #expect(Self.type(tree.root + "/a/gone") == nil)
        #expect(Self.type(tree.root + "/a/tree") == nil)
        #expect(Self.type(tree.root + "/a/.wh.gone") == nil)
    }

    @Test func whiteoutKeepsWhatItsOwnLayerWrote() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tree = try await Self.materialize(
            [
                FixtureLayer(entries: [.directory("a"), .text("a/file", "lower")]),
                FixtureLayer(entries: [.text("a/file", "upper"), .text("a/.wh.file", "")]),
            ], in: fixture)
        #expect(Self.text(tree.root + "/a/file") == "upper")
    }

    @Test func opaqueDirectoryHidesOnlyLowerLayersContent() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tree = try await Self.materialize(
            [
                FixtureLayer(entries: [
                    .directory("b"), .text("b/old", "1"), .directory("b/sub"), .text("b/sub/old", "1"),
                    .text("outside", "1"),
                ]),
                FixtureLayer(entries: [
                    .directory("b"), .text("b/.wh..wh..opq", ""), .text("b/new", "2"), .text("b/sub/new", "2"),
                ]),
            ], in: fixture)
        #expect(Self.text(tree.root + "/b/new") == "2")
        #expect(Self.text(tree.root + "/b/sub/new") == "2")
        #expect(Self.type(tree.root + "/b/old") == nil)
        #expect(Self.type(tree.root + "/b/sub/old") == nil)
        #expect(Self.type(tree.root + "/b/.wh..wh..opq") == nil)
        #expect(Self.text(tree.root + "/outside") == "1")
    }

    @Test func fileReplacesAWholeDirectoryAndADirectoryReplacesAFile() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tree = try await Self.materialize(
            [
                FixtureLayer(entries: [.directory("e"), .text("e/f", "1"), .text("g", "file")]),
                FixtureLayer(entries: [.text("e", "now a file"), .directory("g"), .text("g/inside", "2")]),
            ], in: fixture)
        #expect(Self.text(tree.root + "/e") == "now a file")
        #expect(Self.text(tree.root + "/g/inside") == "2")
    }

    @Test func whiteoutThroughASymlinkRemovesNothingOutside() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let outside = fixture.path("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: outside + "/precious"))
        _ = try await Self.materialize(
            [
                FixtureLayer(entries: [.symlink("link", to: outside)]),
                FixtureLayer(entries: [.text("link/.wh.precious", "")]),
            ], in: fixture)
        #expect(Self.text(outside + "/precious") == "precious")
    }

    // MARK: Secure extraction

    @Test func dotDotEntryFailsTheRunAndWritesNothingOutside() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let layer = FixtureLayer(entries: [], tar: UstarFixture.tar([.init(name: "../x", data: Array("x".utf8))]))
        let layout = try fixture.writeLayout("layout", images: [[layer]])
        let image = try ImageUnderTest.open(layout, platforms: [])
        let root = fixture.path("root")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        await #expect(throws: VerifyError.unsafeEntry(layer: image.layers[0].digest, entry: "../x")) {
            _ = try await FilesystemMaterializer(source: image.source, layers: image.layers).materialize(into: root)
        }
        #expect(Self.type(fixture.path("x")) == nil)
        #expect(
            VerifyError.unsafeEntry(layer: image.layers[0].digest, entry: "../x").description
                == "layer \(image.layers[0].digest): entry ../x names a path outside the image root")
    }

    @Test func writeThroughAnEscapingSymlinkIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let outside = fixture.path("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        let tree = try await Self.materialize(
            [
                FixtureLayer(
                    entries: [],
                    tar: UstarFixture.tar([
                        .init(name: "absolute", type: UInt8(ascii: "2"), link: outside),
                        .init(name: "relative", type: UInt8(ascii: "2"), link: "../outside"),
                    ])),
                FixtureLayer(
                    entries: [],
                    tar: UstarFixture.tar([
                        .init(name: "absolute/pwned", data: Array("x".utf8)),
                        .init(name: "relative/pwned2", data: Array("x".utf8)),
                    ])),
            ], in: fixture)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(tree.refusals.count == 2)
        #expect(tree.refusals.allSatisfy { $0.contains("pwned") })
        // The links themselves are kept: inside the sandbox they point into the image.
        #expect(Self.type(tree.root + "/absolute") == S_IFLNK)
    }

    @Test func hardlinkOutOfTheRootIsRefused() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        try Data("secret".utf8).write(to: URL(fileURLWithPath: fixture.path("secret")))
        let tree = try await Self.materialize(
            [
                FixtureLayer(
                    entries: [],
                    tar: UstarFixture.tar([
                        .init(name: "escape", type: UInt8(ascii: "2"), link: fixture.root),
                        .init(name: "stolen", type: UInt8(ascii: "1"), link: "escape/secret"),
                    ]))
            ], in: fixture)
        #expect(Self.type(tree.root + "/stolen") == nil)
        #expect(tree.refusals.count == 1)
    }

    @Test func deviceNodesAreSkipped() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tree = try await Self.materialize(
            [
                FixtureLayer(
                    entries: [],
                    tar: UstarFixture.tar([
                        .init(name: "dev/", type: UInt8(ascii: "5"), mode: 0o755),
                        .init(name: "dev/null", type: UInt8(ascii: "3"), mode: 0o666),
                        .init(name: "dev/sda", type: UInt8(ascii: "4"), mode: 0o660),
                    ]))
            ], in: fixture)
        #expect(tree.skippedDevices == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.root + "/dev").isEmpty)
    }

    @Test func modesAreKept() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let tree = try await Self.materialize(
            [FixtureLayer(entries: [.file("run.sh", Array("#!/bin/sh\n".utf8), mode: 0o750)])], in: fixture)
        var status = stat()
        #expect(lstat(tree.root + "/run.sh", &status) == 0)
        #expect(status.st_mode & 0o7777 == 0o750)
    }
}
