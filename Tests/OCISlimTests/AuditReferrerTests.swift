import Foundation
import TestSupport
import Testing

@testable import OCISlim

/// `audit` says what a rewrite would do to an image's signatures and attestations, before anyone runs it.
@Suite struct AuditReferrerTests {
    @Test func theTableNamesTheStrategiesThatInvalidateSignatures() async throws {
        let audit = try await ImageAuditor(input: "oci:" + ReferrerTests.fixture("cosign")).run()
        let lines = audit.renderTable(width: 200).split(separator: "\n").filter { $0.hasPrefix("referrers: ") }
        let changing = audit.strategies.filter { $0.report.referrers.contains { $0.action != .unchanged } }
        #expect(!changing.isEmpty && changing.count < audit.strategies.count, "\(audit.strategies.map(\.name))")
        #expect(
            lines == [
                "referrers: \(changing.map(\.name).joined(separator: ", ")) would drop 3 signatures and relink "
                    + "1 attestation (their images get new digests; rewrite --signatures, --attestations)"
            ])
    }

    @Test func anImageWithoutReferrersGetsNoLine() async throws {
        let fixture = try LayoutFixture.make()
        defer { fixture.cleanUp() }
        let input = try fixture.writeLayout("in", images: [try RewriteTests.pythonImage()])
        let audit = try await ImageAuditor(input: input).run()
        #expect(audit.strategies.contains { $0.report.totals.layersRewritten > 0 })
        #expect(!audit.renderTable().contains("referrers:"))
    }
}
