import OCISlim
import PythonMinimizer
import TestSupport
import Testing

/// The CI gate: size limits parse as users write them, and a report over a limit says by how much.
@Suite struct AuditGateTests {
    @Test(arguments: [
        ("1048576", SizeLimit.bytes(1_048_576)), ("20MB", .bytes(20_000_000)), ("512KiB", .bytes(524_288)),
        ("1.5GiB", .bytes(1_610_612_736)), ("3k", .bytes(3000)), ("5%", .percent(5)), ("0.5%", .percent(0.5)),
    ])
    func sizesParse(text: String, expected: SizeLimit) {
        #expect(SizeLimit(parsing: text) == expected)
    }

    @Test(arguments: ["", "MB", "-1", "5 parsecs", "101%", "%"]) func nonsenseIsRefused(_ text: String) {
        #expect(SizeLimit(parsing: text) == nil)
    }

    @Test func theGateFailsAboveTheLimitsAndPassesBelow() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let (layers, hidden) = ReclaimHiddenTests.wastefulImage()
        let python = try RewriteTests.pythonImage()
        let input = try fixture.writeLayout("in", images: [python + layers])
        let audit = try await ImageAuditor(
            input: input, variants: [StrategyVariant(strategy: .dropOptimized), .hiddenFiles], minimumLayerSaving: 0,
            jobs: 2
        ).run()
        #expect(AuditGate(savingLimit: .percent(100), hiddenLimit: .bytes(hidden)).violations(of: audit).isEmpty)
        let failed = AuditGate(savingLimit: .bytes(0), hiddenLimit: .bytes(hidden - 1)).violations(of: audit)
        #expect(failed.count == 2)
        #expect(failed.first?.hasPrefix("the image could shrink by ") == true)
        #expect(failed.first?.contains("under drop-optimized, over the 0 B limit (--fail-if-saving-over)") == true)
        #expect(failed.last?.hasPrefix("the image holds 205.1 KiB (") == true)
        #expect(
            failed.last?.hasSuffix(
                "of files its upper layers hide, over the 205.1 KiB limit "
                    + "(--fail-if-hidden-over; --reclaim-hidden removes them)") == true)
    }
}
