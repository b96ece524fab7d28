/// Rows of text cells lined up in columns, fitted to the width of the terminal they are printed on (the reports'
/// tables: `rewrite`, `audit`, `verify`).
///
/// A table no wider than the width is printed as it is. A wider one is fitted step by step, each step taken only when
/// the ones before were not enough:
/// 1. Every row with a cell that shows a change (`old → new`) is stacked on two lines: `old` on the first, `→ new`
///    under it.
/// 2. The `groupColumn`, if any, leaves the table: its value becomes a heading line above the rows it names.
/// 3. Headers of several words take two lines.
/// 4. Columns are one space apart instead of two.
/// 5. The columns are split into bands, each as wide as the width allows, printed one under the other and separated
///    by a blank line; each band repeats the first `keyColumns` columns, so every line still says which row it is.
/// Nothing is cut: a band holds at least one column, however wide.
package struct TextTable: Sendable {
    /// The column names, the first line.
    package var header: [String]
    /// The rows, as many cells each as `header`.
    package var rows: [[String]]
    /// Columns whose cells are right-aligned (counts); the others are left-aligned.
    package var rightAligned: Set<Int>
    /// How many leading columns each band repeats (those of them still shown).
    package var keyColumns: Int
    /// A column whose values may become headings (step 2); the rows of one value follow each other.
    package var groupColumn: Int?

    package init(
        header: [String], rows: [[String]], rightAligned: Set<Int> = [], keyColumns: Int = 1, groupColumn: Int? = nil
    ) {
        self.header = header
        self.rows = rows
        self.rightAligned = rightAligned
        self.keyColumns = keyColumns
        self.groupColumn = groupColumn
    }

    /// A line of the body: a row of cells, or a group's heading.
    enum Line: Equatable {
        case cells([String])
        case heading(String)
    }

    /// The table as printed: header lines, body lines and the columns shown.
    struct Layout {
        var header: [[String]]
        var body: [Line]
        var columns: [Int]
        /// The space between two columns.
        var gap = "  "

        /// The widest line: the shown columns and the gaps between them, or a heading.
        var width: Int {
            let cells = Self.columnWidths(
                header + body.compactMap { if case .cells(let row) = $0 { row } else { nil } })
            let rows = columns.map { cells[$0] }.reduce(0, +) + gap.count * max(0, columns.count - 1)
            let headings = body.compactMap { if case .heading(let text) = $0 { text.count } else { nil } }
            return max(rows, headings.max() ?? 0)
        }

        static func columnWidths(_ rows: [[String]]) -> [Int] {
            (rows.first ?? []).indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        }
    }

    /// The table's lines, fitted to `width` columns (nil: as wide as it is).
    package func render(width: Int?) -> [String] {
        var layout = Layout(header: [header], body: rows.map { .cells($0) }, columns: Array(header.indices))
        let steps: [(inout Layout) -> Void] = [
            { $0.body = rows.flatMap(Self.stack).map { .cells($0) } },
            { layout in if let group = groupColumn { Self.group(&layout, by: group) } },
            { $0.header = Self.wrap($0.header[0]) },
            { $0.gap = " " },
        ]
        for step in steps {
            guard let width, layout.width > width else { return lines(layout) }
            step(&layout)
        }
        guard let width, layout.width > width else { return lines(layout) }
        var output: [String] = []
        for band in bands(of: layout, width: width) {
            if !output.isEmpty { output.append("") }
            output += lines(Layout(header: layout.header, body: layout.body, columns: band, gap: layout.gap))
        }
        return output
    }

    // MARK: Fitting

    /// A row, or two when one of its cells reads `old → new`.
    static func stack(_ row: [String]) -> [[String]] {
        let split = row.map { cell -> (String, String) in
            guard let arrow = cell.range(of: " → ") else { return (cell, "") }
            return (String(cell[..<arrow.lowerBound]), "→ " + cell[arrow.upperBound...])
        }
        guard split.contains(where: { !$0.1.isEmpty }) else { return [row] }
        return [split.map(\.0), split.map(\.1)]
    }

    /// The group column's values as headings (`value:`) above their rows, the column no longer shown.
    static func group(_ layout: inout Layout, by column: Int) {
        var body: [Line] = []
        var current: String?
        for line in layout.body {
            if case .cells(let row) = line, !row[column].isEmpty, row[column] != current {
                current = row[column]
                body.append(.heading(row[column] + ":"))
            }
            body.append(line)
        }
        layout.body = body
        layout.columns.removeAll { $0 == column }
    }

    /// The header on two lines: each name of several words split at the space that makes its longer half shortest.
    static func wrap(_ header: [String]) -> [[String]] {
        guard header.contains(where: { $0.contains(" ") }) else { return [header] }
        let halves = header.map { name -> (String, String) in
            let spaces = name.indices.filter { name[$0] == " " }
            guard
                let split = spaces.min(by: {
                    max(name.distance(from: name.startIndex, to: $0), name.distance(from: $0, to: name.endIndex))
                        < max(name.distance(from: name.startIndex, to: $1), name.distance(from: $1, to: name.endIndex))
                })
            else { return (name, "") }
            return (String(name[..<split]), String(name[name.index(after: split)...]))
        }
        return [halves.map(\.0), halves.map(\.1)]
    }

    /// The columns of each band: the key columns, then as many more as fit in `width`.
    func bands(of layout: Layout, width: Int) -> [[Int]] {
        let widths = Layout.columnWidths(
            layout.header + layout.body.compactMap { if case .cells(let row) = $0 { row } else { nil } })
        let keys = layout.columns.filter { $0 < keyColumns }
        let keysWidth = keys.map { widths[$0] + layout.gap.count }.reduce(0, +)
        var bands: [[Int]] = []
        var current: [Int] = []
        var used = keysWidth
        for column in layout.columns.dropFirst(keys.count) {
            if !current.isEmpty && used + widths[column] > width {
                bands.append(keys + current)
                (current, used) = ([], keysWidth)
            }
            current.append(column)
            used += widths[column] + layout.gap.count
        }
        if !current.isEmpty || bands.isEmpty { bands.append(keys + current) }
        return bands
    }

    // MARK: Layout

    /// The layout's lines: each cell padded to its column's width, headings as they are; no trailing spaces.
    func lines(_ layout: Layout) -> [String] {
        let widths = Layout.columnWidths(
            layout.header + layout.body.compactMap { if case .cells(let row) = $0 { row } else { nil } })
        func line(_ row: [String]) -> String {
            let cells = layout.columns.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return rightAligned.contains(column) ? padding + row[column] : row[column] + padding
            }
            return String(cells.joined(separator: layout.gap).reversed().drop { $0 == " " }.reversed())
        }
        return layout.header.map(line)
            + layout.body.map { body in
                switch body {
                case .cells(let row): line(row)
                case .heading(let text): text
                }
            }
    }
}
