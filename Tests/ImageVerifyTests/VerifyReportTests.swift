import Foundation
import Testing

@testable import ImageVerify

/// The report: what counts as a regression, the table people read and the JSON machines read.
@Suite struct VerifyReportTests {
    private static func report(
        regressions: [VerifyReport.Regression] = [], run: VerifyReport.RunComparison? = nil
    ) -> VerifyReport {
        VerifyReport(
            original: "oci:in", rewritten: "oci:out", architecture: "amd64", emulator: nil,
            interpreters: [
                .init(
                    interpreter: "/usr/bin/python3", version: "3.11.2",
                    trees: [
                        .init(tree: "stdlib", modules: 3, okInBoth: 1, regressed: 1, failingInBoth: 1, fixed: 0)
                    ])
            ],
            regressions: regressions, run: run, startup: nil, warnings: [], seconds: 1)
    }

    private static let colorsys = VerifyReport.Regression(
        interpreter: "/usr/bin/python3", tree: "stdlib", module: "colorsys",
        error: "ModuleNotFoundError: No module named 'colorsys'")

    private static func outcome(_ status: Int32, _ output: String) -> VerifyReport.RunOutcome {
        .init(status: status, signaled: false, timedOut: false, stdout: output, stderr: "")
    }

    @Test func aRegressedModuleIsARegression() {
        #expect(!Self.report().hasRegressions)
        #expect(Self.report(regressions: [Self.colorsys]).hasRegressions)
    }

    @Test func aDifferentRunIsARegression() {
        let same = VerifyReport.RunComparison(
            command: ["python3"], original: Self.outcome(0, "hi"), rewritten: Self.outcome(0, "hi"), same: true)
        let different = VerifyReport.RunComparison(
            command: ["python3"], original: Self.outcome(0, "hi"), rewritten: Self.outcome(1, ""), same: false)
        #expect(!Self.report(run: same).hasRegressions)
        #expect(Self.report(run: different).hasRegressions)
        #expect(
            Self.report(run: different).renderTable().contains("run python3: differs: exit status 0 → 1"))
    }

    @Test func tableCountsTreesAndNamesEachRegression() {
        let table = Self.report(regressions: [Self.colorsys]).renderTable().split(separator: "\n").map(String.init)
        #expect(table[0] == "verify: oci:in → oci:out (amd64)")
        #expect(
            table[1] == "interpreter                tree    modules  ok in both  regressed  failing in both  fixed")
        #expect(
            table[2] == "/usr/bin/python3 (3.11.2)  stdlib        3           1          1                1      0")
        #expect(table[3] == "1 regressed module:")
        #expect(
            table[4] == "  colorsys (/usr/bin/python3, stdlib): ModuleNotFoundError: No module named 'colorsys'")
    }

    /// Narrower than the table, the interpreter becomes a heading over its trees; at 80 columns the headers also take
    /// two lines and the columns are one space apart.
    @Test func tableFitsEightyAndOneHundredTwentyColumns() {
        var report = Self.report()
        report.interpreters = [
            .init(
                interpreter: "/opt/venv/bin/python", version: "3.11.2",
                trees: [
                    .init(
                        tree: "/opt/venv/lib/python3.11/site-packages", modules: 1234, okInBoth: 1200, regressed: 0,
                        failingInBoth: 34, fixed: 0),
                    .init(
                        tree: "/usr/lib/python3/dist-packages", modules: 56, okInBoth: 56, regressed: 0,
                        failingInBoth: 0, fixed: 0),
                ])
        ]
        let wide = report.renderTable(width: 120).split(separator: "\n").map(String.init)
        #expect(wide[1].hasPrefix("tree                                    modules  ok in both  regressed  "))
        #expect(wide[2] == "/opt/venv/bin/python (3.11.2):")
        #expect(wide.allSatisfy { $0.count <= 120 })
        let narrow = report.renderTable(width: 80).split(separator: "\n").map(String.init)
        #expect(
            Array(narrow[1...5]) == [
                "tree                                   modules ok in regressed failing fixed",
                "                                                both           in both",
                "/opt/venv/bin/python (3.11.2):",
                "/opt/venv/lib/python3.11/site-packages    1234  1200         0      34     0",
                "/usr/lib/python3/dist-packages              56    56         0       0     0",
            ])
        #expect(narrow.allSatisfy { $0.count <= 80 }, "\(narrow)")
    }

    @Test func regressionsWrapAtEightyColumnsAndWarningsStayOneLine() {
        var report = Self.report(regressions: [
            .init(
                interpreter: "/opt/venv/bin/python", tree: "/opt/venv/lib/python3.11/site-packages",
                module: "attr._make", error: "ImportError: cannot import name '_make' from partially initialized module"
            )
        ])
        report.warnings = [
            "3 modules of /usr/lib/python3.11 could not be imported in either image: they need a display or a device"
        ]
        let lines = report.renderTable(width: 80).split(separator: "\n")
        let prose = lines.filter { !$0.hasPrefix("warning: ") }
        #expect(prose.allSatisfy { $0.count <= 80 }, "\(prose.filter { $0.count > 80 })")
        #expect(lines.contains { $0.hasPrefix("    ") && $0.contains("partially initialized module") })
        #expect(lines.last == "warning: \(report.warnings[0])")
    }

    @Test func jsonRoundTrips() throws {
        let report = Self.report(regressions: [Self.colorsys])
        let decoded = try JSONDecoder().decode(VerifyReport.self, from: try JSONEncoder().encode(report))
        #expect(decoded == report)
    }

    @Test func noInterpreterMessage() {
        #expect(
            VerifyError.noInterpreter(reference: "oci:in").description
                == "oci:in has no Python interpreter (looked for /usr/bin/python3*, /usr/local/bin/python3* and "
                + "virtual environments' bin/python)")
        #expect(VerifyError.noInterpreter(reference: "oci:in").exitStatus == 1)
        #expect(VerifyError.sandboxUnavailable(reason: "x").exitStatus == 2)
        #expect(VerifyError.severalImages(reference: "x", labels: []).exitStatus == 64)
    }
}
