import PythonMinimizer
import Testing

@Suite struct PlannerTests {
    static let cache = "usr/lib/python3.11/__pycache__/"

    static func file(_ path: String, size: Int64 = 100, digest: UInt8? = nil, mtime: Int64 = 0) -> LayerEntry {
        LayerEntry(
            path: ImagePath(path), kind: .regular, size: size, metadata: EntryMetadata(mtime: mtime),
            contentDigest: digest.map { [UInt8](repeating: $0, count: 32) }
        )
    }

    static func link(_ path: String, to target: String) -> LayerEntry {
        LayerEntry(path: ImagePath(path), kind: .hardlink, size: 0, hardlinkTarget: ImagePath(target))
    }

    @Test func dropOptimizedTouchesOnlyOptimizedLevels() {
        let plan = Planner(strategy: .dropOptimized).plan([
            LayerScan(entries: [
                Self.file(Self.cache + "a.cpython-311.pyc"),
                Self.file(Self.cache + "a.cpython-311.opt-1.pyc"),
                Self.file(Self.cache + "a.cpython-311.opt-2.pyc"),
                Self.file("usr/lib/python3.11/a.py"),
            ])
        ])
        #expect(plan.layers[0].actions == [1: .drop(.optimizedBytecode), 2: .drop(.optimizedBytecode)])
        #expect(plan.layers[0].additions.isEmpty && plan.environment.isEmpty)
    }

    @Test func dropBytecodeAddsOneMarkerPerEmptiedCacheAndTheEnvironment() {
        let plan = Planner(strategy: .dropBytecode).plan([
            LayerScan(entries: [
                Self.file(Self.cache + "a.cpython-311.pyc", mtime: 5),
                Self.file(Self.cache + "b.cpython-311.pyc", mtime: 9),
                Self.file("app/m.pyc"),  // sourceless: it is the module, kept
                Self.file("app/__pycache__/m.cpython-311.opt-2.pyc", mtime: 3),
            ]),
            LayerScan(entries: [Self.file("usr/bin/python3.11")]),
        ])
        #expect(plan.layers[0].actions == [0: .drop(.bytecode), 1: .drop(.bytecode), 3: .drop(.optimizedBytecode)])
        #expect(
            plan.layers[0].additions.map(\.path.description) == [
                "app/__pycache__/__dont_write_bytecode__", Self.cache + "__dont_write_bytecode__",
            ])
        #expect(
            plan.layers[0].additions.map(\.metadata.mtime) == [3, 9], "markers take the newest dropped file's time")
        #expect(plan.environment == ["PYTHONDONTWRITEBYTECODE=1"])
    }

    @Test(arguments: ["usr/bin/python3", "usr/local/bin/python3.12", "opt/venv/bin/python"])
    func theEnvironmentNeedsAnInterpreter(_ interpreter: String) {
        let python = [Self.file(Self.cache + "a.cpython-311.pyc"), Self.file(interpreter)]
        let planner = Planner(strategy: .dropBytecode, requiresInterpreter: true)
        #expect(planner.plan([LayerScan(entries: python)]).environment.count == 1)
    }

    @Test func strayPythonFilesWithoutAnInterpreterLeaveTheConfigAlone() {
        // Debian's gcc ships GDB pretty-printers as .py files (with no interpreter in the image).
        let gdb = "usr/share/gdb/auto-load/usr/lib/x86_64-linux-gnu/"
        let plan = Planner(strategy: .dropBytecode, requiresInterpreter: true).plan([
            LayerScan(entries: [Self.file(gdb + "libstdc++.so.6.0.30-gdb.py"), Self.file("usr/bin/python3-config")]),
            // An interpreter removed by a later layer is no interpreter.
            LayerScan(entries: [Self.file("usr/bin/python3")]), LayerScan(entries: [Self.file("usr/bin/.wh.python3")]),
        ])
        #expect(plan.environment.isEmpty)
        #expect(plan.isUnchanged)
    }

    @Test func noPythonMeansNoPlan() {
        for strategy in Strategy.allCases {
            let plan = Planner(strategy: strategy).plan([
                LayerScan(entries: [Self.file("etc/a", digest: 1), Self.file("etc/b", digest: 1)])
            ])
            #expect(plan.isUnchanged, "\(strategy)")
        }
    }

    @Test func dedupLinksLaterCopiesToTheFirstWithinALayer() {
        let plan = Planner(strategy: .dedup).plan([
            LayerScan(entries: [
                Self.file(Self.cache + "a.cpython-311.pyc", digest: 1, mtime: 1),
                Self.file(Self.cache + "a.cpython-311.opt-1.pyc", digest: 1, mtime: 2),  // bytecode: mtime ignored
                Self.file("usr/lib/python3.11/x.py", digest: 2, mtime: 1),
                Self.file("usr/lib/python3.11/y.py", digest: 2, mtime: 2),  // source: mtime matters
                Self.file("usr/lib/python3.11/z.py", digest: 2, mtime: 1),
                Self.file("etc/copy", digest: 1),  // outside Python trees
                Self.file("usr/lib/python3.11/empty.py", size: 0, digest: 3),
                Self.file("usr/lib/python3.11/empty2.py", size: 0, digest: 3),  // nothing to save
            ])
        ])
        #expect(
            plan.layers[0].actions == [
                1: .hardlink(to: ImagePath(Self.cache + "a.cpython-311.pyc")),
                4: .hardlink(to: ImagePath("usr/lib/python3.11/x.py")),
            ])
    }

    @Test func dedupForgetsAPathThatIsWrittenAgain() {
        let plan = Planner(strategy: .dedup).plan([
            LayerScan(entries: [
                Self.file("usr/lib/python3.11/a.py", digest: 1),
                Self.file("usr/lib/python3.11/a.py", digest: 2),
                Self.file("usr/lib/python3.11/b.py", digest: 1),
            ])
        ])
        #expect(plan.layers[0].isUnchanged)
    }

    @Test func aPathWrittenTwiceInALayerKeepsItsLaterCopyWhenTheEarlierIsKept() {
        // The earlier entry is a directory (never dropped); dropping the later copy would resurrect it.
        let path = Self.cache + "a.cpython-311.opt-1.pyc"
        let plan = Planner(strategy: .dropOptimized).plan([
            LayerScan(entries: [
                LayerEntry(path: ImagePath(path), kind: .directory, size: 0),
                Self.file(path),
            ])
        ])
        #expect(plan.layers[0].isUnchanged)
    }

    @Test func aDroppedLinkTargetIsMaterializedUnderItsFirstKeptLink() {
        let target = Self.cache + "a.cpython-311.opt-1.pyc"
        let plan = Planner(strategy: .dropOptimized).plan([
            LayerScan(entries: [
                Self.file(target),
                Self.link(Self.cache + "a.cpython-311.opt-2.pyc", to: target),
                Self.link(Self.cache + "a.cpython-311.pyc", to: target),
                Self.link("usr/lib/python3.11/other", to: target),
            ])
        ])
        #expect(
            plan.layers[0].actions == [
                0: .materialize(
                    as: ImagePath(Self.cache + "a.cpython-311.pyc"), category: .optimizedBytecode),
                1: .drop(.optimizedBytecode),
                2: .absorbed,
                3: .retarget(to: ImagePath(Self.cache + "a.cpython-311.pyc")),
            ])
    }

    @Test func aLinkToADroppedLinkPointsPastIt() {
        let plan = Planner(strategy: .dropOptimized).plan([
            LayerScan(entries: [
                Self.file(Self.cache + "a.cpython-311.pyc"),
                Self.link(Self.cache + "a.cpython-311.opt-1.pyc", to: Self.cache + "a.cpython-311.pyc"),
                Self.link("usr/lib/python3.11/other", to: Self.cache + "a.cpython-311.opt-1.pyc"),
            ])
        ])
        #expect(
            plan.layers[0].actions == [
                1: .drop(.optimizedBytecode), 2: .retarget(to: ImagePath(Self.cache + "a.cpython-311.pyc")),
            ])
    }

    @Test func aDropThatWouldUncoverALowerCopyBecomesAWhiteout() {
        let path = Self.cache + "a.cpython-311.opt-1.pyc"
        let plan = Planner(strategy: .dropOptimized).plan([
            LayerScan(entries: [Self.file(path)]),
            LayerScan(entries: [Self.link("usr/lib/python3.11/keep", to: path)]),
            LayerScan(entries: [Self.file(path)]),
        ])
        #expect(plan.layers[0].isUnchanged, "a lower link target is kept")
        #expect(plan.layers[1].isUnchanged)
        #expect(plan.layers[2].actions == [0: .drop(.optimizedBytecode)])
        #expect(plan.layers[2].hidesLowerCopy == [0])
    }

    @Test func whiteoutsAndOpaqueDirectoriesHideLowerCopies() {
        let path = Self.cache + "a.cpython-311.opt-1.pyc"
        let lower = [
            LayerScan(entries: [Self.file(path)]),
            LayerScan(entries: [Self.link("usr/lib/python3.11/keep", to: path)]),
        ]
        let hidingEntries = [
            Self.cache + ".wh.a.cpython-311.opt-1.pyc", Self.cache + ".wh..wh..opq", "usr/lib/.wh.python3.11",
            "usr/.wh..wh..opq",
        ]
        for hiding in hidingEntries {
            let plan = Planner(strategy: .dropOptimized).plan(
                lower + [
                    LayerScan(entries: [Self.file(hiding, size: 0)]),
                    LayerScan(entries: [Self.file(path)]),
                ])
            #expect(plan.layers[3].actions == [0: .drop(.optimizedBytecode)])
            #expect(plan.layers[3].hidesLowerCopy.isEmpty, "\(hiding): nothing left to uncover")
        }
        // An opaque marker in the file's own directory's sibling hides nothing of it.
        let unrelated = Planner(strategy: .dropOptimized).plan(
            lower + [
                LayerScan(entries: [Self.file("usr/lib/python3.11/other/.wh..wh..opq", size: 0)]),
                LayerScan(entries: [Self.file(path)]),
            ])
        #expect(unrelated.layers[3].actions == [0: .drop(.optimizedBytecode)])
        #expect(unrelated.layers[3].hidesLowerCopy == [0])
    }

    @Test func layersBelowTheMinimumSavingAreLeftAlone() {
        let small = LayerScan(entries: [Self.file(Self.cache + "a.cpython-311.opt-1.pyc", size: 100)])
        let large = LayerScan(entries: [Self.file(Self.cache + "b.cpython-311.opt-1.pyc", size: 5000)])
        let plan = Planner(strategy: .dropOptimized, minimumLayerSaving: 1000).plan([small, large])
        #expect(plan.layers[0].isUnchanged)
        #expect(plan.layers[1].actions == [0: .drop(.optimizedBytecode)])
    }

    @Test func aLayerLeftAloneStaysVisibleToTheMergedView() {
        // The lower layer saves too little and keeps its copy; the upper layer's drop must then hide it.
        let path = Self.cache + "a.cpython-311.opt-1.pyc"
        let plan = Planner(strategy: .dropOptimized, minimumLayerSaving: 1000).plan([
            LayerScan(entries: [Self.file(path, size: 10)]),
            LayerScan(entries: [Self.file(path, size: 5000)]),
        ])
        #expect(plan.layers[0].isUnchanged)
        #expect(plan.layers[1].actions == [0: .drop(.optimizedBytecode)])
        #expect(plan.layers[1].hidesLowerCopy == [0])
    }

    @Test func summaryCountsFilesAndBytes() {
        let scan = LayerScan(entries: [
            Self.file(Self.cache + "a.cpython-311.pyc", size: 10),
            Self.file(Self.cache + "a.cpython-311.opt-1.pyc", size: 20),
        ])
        let plan = Planner(strategy: .dropBytecode).plan([scan])
        let summary = PlanSummary(plan: plan.layers[0], scan: scan)
        #expect(summary.filesRemoved == 2 && summary.filesAdded == 1 && summary.filesHardlinked == 0)
        #expect(summary.bytesSaved == [.bytecode: 10, .optimizedBytecode: 20])
    }
}
