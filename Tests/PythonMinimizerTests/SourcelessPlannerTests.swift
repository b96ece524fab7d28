import PythonMinimizer
import Testing

@Suite struct SourcelessPlannerTests {
    static let dir = "usr/lib/python3.11/json/"
    static let cache = dir + "__pycache__/"

    /// A CPython 3.11 timestamp pyc header for a source of this mtime and size.
    static func header(mtime: UInt32, size: UInt32, magic: UInt16 = 3495) -> [UInt8] {
        func le(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        return [UInt8(magic & 0xff), UInt8(magic >> 8), 0x0d, 0x0a] + le(0) + le(mtime) + le(size)
    }

    static func source(_ path: String, size: Int64 = 1000, mtime: Int64 = 1_700_000_000, mode: UInt32 = 0o644)
        -> LayerEntry
    {
        LayerEntry(
            path: ImagePath(path), kind: .regular, size: size, metadata: EntryMetadata(permissions: mode, mtime: mtime))
    }

    static func pyc(_ path: String, for size: Int64 = 1000, mtime: Int64 = 1_700_000_000, magic: UInt16 = 3495)
        -> LayerEntry
    {
        LayerEntry(
            path: ImagePath(path), kind: .regular, size: 500,
            pycHeaderBytes: header(mtime: UInt32(mtime), size: UInt32(size), magic: magic)
        )
    }

    static func plan(
        _ layers: [[LayerEntry]], options: SourcelessOptions = SourcelessOptions(),
        context: ImageContext = ImageContext(),
        minimum: Int64 = 0
    ) -> ImagePlan {
        Planner(strategy: .sourceless, minimumLayerSaving: minimum, sourceless: options)
            .plan(layers.map(LayerScan.init), context: context)
    }

    @Test func convertsAModuleWithValidBytecode() {
        let plan = Self.plan([
            [
                Self.source(Self.dir + "decoder.py"),
                Self.pyc(Self.cache + "decoder.cpython-311.pyc"),
                Self.pyc(Self.cache + "decoder.cpython-311.opt-1.pyc"),
            ]
        ])
        #expect(
            plan.layers[0].actions == [
                0: .compressSource(into: ImagePath(Self.dir + "__pysources__/decoder.zpy")),
                1: .move(to: ImagePath(Self.dir + "decoder.pyc")),
                2: .drop(.optimizedBytecode),
            ])
        #expect(plan.layers[0].createsSourceDirectory == [0] && plan.layers[0].hidesLowerCopy.isEmpty)
        #expect(plan.modules.converted == 1 && plan.modules.kept.isEmpty)
        #expect(plan.environment.isEmpty)
    }

    @Test func dropsSourcesWhenAsked() {
        let plan = Self.plan(
            [[Self.source(Self.dir + "decoder.py"), Self.pyc(Self.cache + "decoder.cpython-311.pyc")]],
            options: SourcelessOptions(keepSources: false)
        )
        #expect(plan.layers[0].actions[0] == .drop(.sources))
    }

    @Test(
        arguments: [
            ([source(dir + "a.py", mtime: 5), pyc(cache + "a.cpython-311.pyc", mtime: 6)], "bytecode is stale"),
            ([source(dir + "a.py", size: 10), pyc(cache + "a.cpython-311.pyc", for: 11)], "bytecode is stale"),
            ([source(dir + "a.py"), pyc(cache + "a.cpython-311.pyc", magic: 3531)], "magic"),
            ([source(dir + "a.py")], "no bytecode"),
            (
                [
                    source(dir + "a.py"), pyc(cache + "a.cpython-311.pyc"),
                    pyc(cache + "a.cpython-312.pyc", magic: 3531),
                ],
                "several interpreters"
            ),
            ([source("app/a.py"), pyc("app/__pycache__/a.cpython-311.pyc")], "not importable"),
            ([source(dir + "a.py", mode: 0o755), pyc(cache + "a.cpython-311.pyc")], "executable"),
        ] as [([LayerEntry], String)])
    func keepsSourcesItCannotSafelyConvert(entries: [LayerEntry], reason: String) {
        let plan = Self.plan([entries])
        #expect(plan.layers[0].isUnchanged)
        #expect(plan.modules.converted == 0)
        #expect(plan.modules.kept.keys.contains { $0.contains(reason) }, "\(plan.modules.kept)")
    }

    @Test func keepsRunPathsAndKeepPatterns() {
        let layers = [
            [
                Self.source(Self.dir + "a.py"), Self.pyc(Self.cache + "a.cpython-311.pyc"),
                Self.source(Self.dir + "tests/b.py"), Self.pyc(Self.dir + "tests/__pycache__/b.cpython-311.pyc"),
            ]
        ]
        let plan = Self.plan(
            layers, options: SourcelessOptions(keepPatterns: ["/usr/lib/python3*/**/tests/*.py"]),
            context: ImageContext(entrypoint: ["/usr/bin/python3", "/" + Self.dir + "a.py"], cmd: nil)
        )
        #expect(plan.layers[0].isUnchanged)
        #expect(plan.modules.kept == ["run by path (Entrypoint/Cmd)": 1, "--keep /usr/lib/python3*/**/tests/*.py": 1])
    }

    @Test func sourceAndBytecodeInDifferentLayers() {
        let plan = Self.plan([
            [Self.source(Self.dir + "a.py")],
            [Self.pyc(Self.cache + "a.cpython-311.pyc")],
        ])
        #expect(
            plan.layers[0].actions == [
                0: .compressSource(into: ImagePath(Self.dir + "__pysources__/a.zpy"))
            ])
        #expect(plan.layers[0].createsSourceDirectory == [0])
        #expect(plan.layers[1].actions == [0: .move(to: ImagePath(Self.dir + "a.pyc"))])
    }

    @Test func aSourceReplacedAboveIsJudgedByItsNewVersion() {
        let plan = Self.plan([
            [Self.source(Self.dir + "a.py"), Self.pyc(Self.cache + "a.cpython-311.pyc")],
            [Self.source(Self.dir + "a.py", mtime: 1_800_000_000)],
        ])
        #expect(plan.layers.allSatisfy { $0.isUnchanged })
        #expect(plan.modules.kept.keys.contains { $0.contains("stale") })
    }

    @Test func bytecodeDeletedAboveDoesNotCount() {
        let plan = Self.plan([
            [Self.source(Self.dir + "a.py"), Self.pyc(Self.cache + "a.cpython-311.pyc")],
            [LayerEntry(path: ImagePath(Self.cache + ".wh.a.cpython-311.pyc"), kind: .regular, size: 0)],
        ])
        #expect(plan.layers.allSatisfy { $0.isUnchanged })
        #expect(plan.modules.kept == ["no bytecode": 1])
    }

    @Test func everyCopyOfTheSourceAndBytecodeGoesSoNothingResurfaces() {
        let plan = Self.plan([
            [Self.source(Self.dir + "a.py", mtime: 1), Self.pyc(Self.cache + "a.cpython-311.pyc", mtime: 1)],
            [Self.source(Self.dir + "a.py"), Self.pyc(Self.cache + "a.cpython-311.pyc")],
        ])
        #expect(plan.layers[0].actions == [0: .drop(.sources), 1: .drop(.bytecode)])
        #expect(
            plan.layers[1].actions[0] == .compressSource(into: ImagePath(Self.dir + "__pysources__/a.zpy")))
        #expect(plan.layers[1].createsSourceDirectory == [0])
        #expect(plan.layers[1].actions[1] == .move(to: ImagePath(Self.dir + "a.pyc")))
        #expect(plan.layers[1].hidesLowerCopy.isEmpty, "every lower copy is dropped too: nothing to hide")
    }

    @Test func fedoraStyleHardlinkedBytecodeIsMaterialized() {
        // compileall --hardlink-dupes: opt-1 written first, the plain pyc hardlinked to it.
        let plan = Self.plan([
            [
                Self.source(Self.dir + "a.py"),
                Self.pyc(Self.cache + "a.cpython-311.opt-1.pyc"),
                LayerEntry(
                    path: ImagePath(Self.cache + "a.cpython-311.pyc"), kind: .hardlink, size: 0,
                    hardlinkTarget: ImagePath(Self.cache + "a.cpython-311.opt-1.pyc")
                ),
            ]
        ])
        #expect(
            plan.layers[0].actions[1]
                == .materialize(as: ImagePath(Self.dir + "a.pyc"), category: .bytecode))
        #expect(plan.layers[0].actions[2] == .absorbed)
        #expect(plan.modules.converted == 1)
    }

    @Test func theSourceHookGoesIntoEverySitePackagesDirectoryOfTheTopLayer() {
        let site = "opt/venv/lib/python3.11/site-packages/"
        let plan = Self.plan(
            [
                [Self.source(Self.dir + "a.py"), Self.pyc(Self.cache + "a.cpython-311.pyc")],
                [Self.source(site + "m.py"), Self.source("usr/lib/python3/dist-packages/yaml/x.py")],
            ],
            options: SourcelessOptions(sourceHook: true)
        )
        #expect(plan.layers[0].additions.isEmpty)
        #expect(
            plan.layers[1].additions.map(\.path.description) == [
                site + "ocislim-sources.pth", site + "_ocislim_sources.py",
                "usr/lib/python3/dist-packages/ocislim-sources.pth",
                "usr/lib/python3/dist-packages/_ocislim_sources.py",
            ])
    }

    @Test func aConversionIsAllOrNothingUnderTheMinimumSaving() {
        // The source's layer saves 10 bytes: below the minimum, so the bytecode above must not move either.
        let plan = Self.plan(
            [[Self.source(Self.dir + "a.py", size: 10)], [Self.pyc(Self.cache + "a.cpython-311.pyc", for: 10)]],
            minimum: 100
        )
        #expect(plan.layers.allSatisfy { $0.isUnchanged })
        #expect(plan.modules.kept == ["layer saves too little": 1])
    }
}

@Suite struct GlobPatternTests {
    @Test(arguments: [
        ("/usr/lib/python3*/**/tests/**", "usr/lib/python3.11/json/tests/x/y.py", true),
        ("/usr/lib/python3*/**/tests/**", "usr/lib/python3.11/json/test.py", false),
        ("/app/*.py", "app/main.py", true),
        ("/app/*.py", "app/sub/main.py", false),
        ("/app/**.py", "app/sub/main.py", true),
        ("/a/?.py", "a/b.py", true),
        ("/a/?.py", "a/bc.py", false),
    ])
    func matches(pattern: String, path: String, expected: Bool) {
        #expect(GlobPattern(pattern).matches(ImagePath(path)) == expected)
    }
}
