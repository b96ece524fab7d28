import Testing

@testable import ImageVerify

/// `--sample` and `--module`: which modules a quick verify imports.
@Suite struct ModuleSampleTests {
    private static let listed = (0..<10).map { "stdlib\($0)" } + (0..<30).map { "venv\($0)" }

    @Test func allImportsEveryModule() {
        #expect(ModuleSample.all.select(Self.listed) == Set(Self.listed))
    }

    @Test func aCountAtLeastTheListImportsEveryModule() {
        #expect(ModuleSample(count: 40).select(Self.listed) == Set(Self.listed))
        #expect(ModuleSample(count: 1000).select(Self.listed) == Set(Self.listed))
    }

    @Test func aSampleIsSpreadOverTheTreesInProportion() {
        let chosen = ModuleSample(count: 8).select(Self.listed)
        #expect(chosen == ["stdlib0", "stdlib5", "venv0", "venv5", "venv10", "venv15", "venv20", "venv25"])
    }

    @Test func theSameSampleOnEveryRun() {
        #expect(ModuleSample(count: 7).select(Self.listed) == ModuleSample(count: 7).select(Self.listed))
    }

    @Test func namedModulesAreAlwaysImportedWhenListed() {
        let chosen = ModuleSample(count: 2, always: ["venv7", "not-listed"]).select(Self.listed)
        #expect(chosen == ["stdlib0", "venv10", "venv7"])
    }

    @Test func aSampledReportSaysHowManyOfHowMany() {
        let report = VerifyReport(
            original: "oci:in", rewritten: "oci:out", architecture: "amd64", emulator: nil,
            interpreters: [
                .init(
                    interpreter: "/usr/bin/python3", version: "3.11.2",
                    trees: [.init(tree: "stdlib", modules: 8, okInBoth: 8, regressed: 0, failingInBoth: 0, fixed: 0)],
                    sampledFrom: 40)
            ],
            regressions: [], run: nil, startup: nil, warnings: [], seconds: 1)
        #expect(report.renderTable().contains("\n/usr/bin/python3: a sample of 8 of its 40 modules (--sample)\n"))
    }
}
