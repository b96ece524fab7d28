/// Which of an interpreter's modules `verify` imports: all of them (the default), or `--sample N` of them spread
/// evenly over its trees in their listed order, plus every module `--module` names. A sample is the same on every run
/// of the same image, so a failure it finds reproduces; it trades coverage for time (a quick check in a test suite
/// whose full run imports every module elsewhere).
public struct ModuleSample: Sendable, Equatable {
    /// How many modules per interpreter; nil for all.
    public var count: Int?
    /// Modules imported whatever the count, when the original lists them.
    public var always: Set<String>

    /// Every module.
    public static let all = ModuleSample(count: nil)

    public init(count: Int?, always: Set<String> = []) {
        self.count = count
        self.always = always
    }

    /// The modules of `listed` (one interpreter's, tree after tree) this sample imports, in their listed order: every
    /// k-th one, k chosen so that about `count` are taken and each tree gets its share, then the `always` ones.
    public func select(_ listed: [String]) -> Set<String> {
        guard let count, count < listed.count else { return Set(listed) }
        var chosen = Set(listed.filter(always.contains))
        guard count > 0 else { return chosen }
        // Positions 0, step, 2·step, … over the whole list: proportional to each tree's size, first and spread out.
        let step = Double(listed.count) / Double(count)
        for position in 0..<count { chosen.insert(listed[Int(Double(position) * step)]) }
        return chosen
    }

}
