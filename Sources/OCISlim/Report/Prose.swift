/// The sentences of a report — titles, notes, referrer lines — broken at spaces to fit `width` columns, each
/// continuation line indented. A word wider than the line (a long path or tag) is never cut: it gets a line of its own.
package enum Prose {
    /// `text` as lines of at most `width` columns (nil: one line); continuation lines start with `indent`.
    package static func lines(_ text: String, width: Int?, indent: String = "  ") -> [String] {
        guard let width, text.count > width else { return [text] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let prefix = lines.isEmpty ? "" : indent
            if line.isEmpty || prefix.count + line.count + 1 + word.count <= width {
                line += (line.isEmpty ? "" : " ") + word
            } else {
                lines.append(prefix + line)
                line = String(word)
            }
        }
        lines.append((lines.isEmpty ? "" : indent) + line)
        return lines
    }
}
