import Testing

@testable import OCISlimCLI

#if canImport(Glibc)
    import Glibc
#endif

/// How wide the reports' tables may be: `COLUMNS`, else the terminal's width, else 120.
@Suite struct TableWidthTests {
    @Test func columnsWins() {
        #expect(Terminal.tableWidth(of: STDOUT_FILENO, environment: ["COLUMNS": "80"]) == 80)
    }

    @Test func aFileOrPipeGets120() throws {
        let descriptor = open("/dev/null", O_WRONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        #expect(Terminal.tableWidth(of: descriptor, environment: [:]) == 120)
        #expect(Terminal.tableWidth(of: descriptor, environment: ["COLUMNS": "wide"]) == 120)
        #expect(Terminal.tableWidth(of: descriptor, environment: ["COLUMNS": "0"]) == 120)
    }
}
