import TestSupport
import Testing

@testable import PythonMinimizer

/// Every hardlink points at a file of an earlier entry of its layer or one the lower layers leave visible.
@Suite struct HardlinkTargetsTests {
    private func file(_ path: String) -> LayerEntry { LayerEntry(path: ImagePath(path), kind: .regular, size: 1) }
    private func link(_ path: String, to target: String) -> LayerEntry {
        LayerEntry(path: ImagePath(path), kind: .hardlink, size: 0, hardlinkTarget: ImagePath(target))
    }

    @Test func anEarlierFileOfTheLayerIsATarget() {
        #expect(HardlinkTargets.firstDangling([LayerScan(entries: [file("a"), link("b", to: "a")])]) == nil)
    }

    @Test func aFileOfALowerLayerIsATarget() {
        let scans = [LayerScan(entries: [file("a")]), LayerScan(entries: [link("b", to: "a")])]
        #expect(HardlinkTargets.firstDangling(scans) == nil)
    }

    @Test func aLaterEntryIsNot() {
        let dangling = HardlinkTargets.firstDangling([LayerScan(entries: [link("b", to: "a"), file("a")])])
        #expect(dangling?.layer == 0 && dangling?.index == 0)
    }

    @Test func aLowerFileWhitedOutBetweenIsNot() {
        let scans = [
            LayerScan(entries: [file("d/a")]), LayerScan(entries: [file(".wh.d")]),
            LayerScan(entries: [link("b", to: "d/a")]),
        ]
        let dangling = HardlinkTargets.firstDangling(scans)
        #expect(dangling?.layer == 2 && dangling?.index == 0)
    }

    @Test func aDirectoryIsNot() {
        let scans = [
            LayerScan(entries: [LayerEntry(path: ImagePath("d"), kind: .directory, size: 0), link("b", to: "d")])
        ]
        #expect(HardlinkTargets.firstDangling(scans)?.index == 1)
    }
}
