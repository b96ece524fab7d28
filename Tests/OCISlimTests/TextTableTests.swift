import Testing

@testable import OCISlim

/// The reports' tables fitted to a terminal: printed as they are when they fit, stacked (`old` over `→ new`) when
/// that is enough, grouped under headings, with two-line headers and one-space gaps, and split into bands that repeat
/// the key columns when nothing else is.
@Suite struct TextTableTests {
    private static let table = TextTable(
        header: ["image", "layer", "compressed", "uncompressed", "removed"],
        rows: [
            ["app:1", "0", "28.9 MiB → 20.1 MiB (-30.4%)", "80.0 MiB → 60.0 MiB (-25.0%)", "1200"],
            ["app:1", "1", "1.0 KiB", "4.0 KiB", "0"],
        ],
        rightAligned: [4], keyColumns: 2)

    @Test func proseWrapsAtSpacesWithIndentedContinuations() {
        let text = "warning: 2 signatures of sha256:0123456789ab were dropped: their subject has a new digest"
        #expect(Prose.lines(text, width: nil) == [text])
        #expect(Prose.lines(text, width: 120) == [text])
        #expect(
            Prose.lines(text, width: 40) == [
                "warning: 2 signatures of",
                "  sha256:0123456789ab were dropped:",
                "  their subject has a new digest",
            ])
    }

    @Test func aWordWiderThanTheLineIsNeverCut() {
        let path = "/var/lib/ci/builds/" + String(repeating: "x", count: 60) + "/layout"
        let lines = Prose.lines("ocislim rewrite: oci:\(path) → oci:out", width: 40)
        #expect(lines == ["ocislim rewrite:", "  oci:\(path)", "  → oci:out"])
    }

    @Test func aTableThatFitsIsPrintedAsItIs() {
        #expect(
            Self.table.render(width: 120) == [
                "image  layer  compressed                    uncompressed                  removed",
                "app:1  0      28.9 MiB → 20.1 MiB (-30.4%)  80.0 MiB → 60.0 MiB (-25.0%)     1200",
                "app:1  1      1.0 KiB                       4.0 KiB                             0",
            ])
        #expect(Self.table.render(width: nil) == Self.table.render(width: 120))
    }

    @Test func changesAreStackedWhenThatIsEnough() {
        let lines = Self.table.render(width: 70)
        #expect(
            lines == [
                "image  layer  compressed           uncompressed         removed",
                "app:1  0      28.9 MiB             80.0 MiB                1200",
                "              → 20.1 MiB (-30.4%)  → 60.0 MiB (-25.0%)",
                "app:1  1      1.0 KiB              4.0 KiB                    0",
            ])
        #expect(lines.allSatisfy { $0.count <= 70 })
    }

    @Test func bandsRepeatTheKeyColumnsWhenStackingIsNotEnough() {
        let lines = Self.table.render(width: 42)
        #expect(
            lines == [
                "image layer compressed",
                "app:1 0     28.9 MiB",
                "            → 20.1 MiB (-30.4%)",
                "app:1 1     1.0 KiB",
                "",
                "image layer uncompressed        removed",
                "app:1 0     80.0 MiB               1200",
                "            → 60.0 MiB (-25.0%)",
                "app:1 1     4.0 KiB                   0",
            ])
        #expect(lines.allSatisfy { $0.count <= 42 })
    }

    @Test func aGroupColumnBecomesHeadingsAndLongHeadersTakeTwoLines() {
        let table = TextTable(
            header: ["who", "tree", "ok in both"],
            rows: [["alpha", "one", "1"], ["alpha", "two", "2"], ["beta", "x", "3"]],
            rightAligned: [2], keyColumns: 2, groupColumn: 0)
        #expect(
            table.render(width: 16) == [
                "tree  ok in both", "alpha:", "one            1", "two            2", "beta:", "x              3",
            ])
        #expect(
            table.render(width: 12) == [
                "tree  ok in", "       both", "alpha:", "one       1", "two       2", "beta:", "x         3",
            ])
    }

    @Test func aColumnWiderThanTheWidthStillGetsABandOfItsOwn() {
        let table = TextTable(header: ["k", "wide"], rows: [["1", String(repeating: "x", count: 30)]])
        #expect(table.render(width: 10) == ["k wide", "1 " + String(repeating: "x", count: 30)])
    }
}
