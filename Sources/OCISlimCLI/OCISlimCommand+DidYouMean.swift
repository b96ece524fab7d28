import ArgumentParser

extension OCISlimCommand {
    /// For a first argument that is no subcommand and no option but close to one (`rewite`), the error that names
    /// the subcommand meant; nil otherwise (the parser then speaks for itself).
    public static func unknownSubcommandError(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !names.contains(first) else { return nil }
        let nearest = names.map { ($0, editDistance($0, first)) }.min { $0.1 < $1.1 }
        // Two edits (a transposition is two) for short names, a third of the letters for longer ones.
        guard let (name, distance) = nearest, distance <= max(2, name.count / 3) else { return nil }
        return "Unknown subcommand '\(first)'. Did you mean '\(name)'?"
    }

    /// Levenshtein distance between two words.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, left) in a.enumerated() {
            var current = [i + 1]
            for (j, right) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
