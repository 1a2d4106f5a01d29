/// The name a user most likely meant: for "did you mean …?" when a profile, a vault file or a
/// keyfile was not found. Never a suggestion to create what was obviously mistyped.
package enum ClosestName {
    /// The candidate nearest to `name` by edit distance (insertions, deletions, substitutions
    /// and swaps of two neighbours each count one; letter case is ignored), if it is near enough
    /// to be a typo: at most a third of the name's length, and at least 1, and never the whole name
    /// ("a" does not suggest "b"). Ties go to the
    /// candidate that sorts first, so the answer does not depend on the candidates' order.
    package static func closest(to name: String, in candidates: [String]) -> String? {
        let typed = Array(name.lowercased().unicodeScalars)
        let allowed = max(1, typed.count / 3)
        var best: (distance: Int, name: String)?
        for candidate in candidates where candidate != name {
            let distance = editDistance(typed, Array(candidate.lowercased().unicodeScalars))
            guard distance <= allowed, distance < typed.count else { continue }
            if let current = best, current.distance < distance || (current.distance == distance && current.name <= candidate) { continue }
            best = (distance, candidate)
        }
        return best?.name
    }

    /// Optimal string alignment distance: Levenshtein with adjacent transpositions.
    package static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rows: the one before last (for transpositions), the last, the current.
        var older = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, older[j - 2] + 1)
                }
                current[j] = value
            }
            (older, previous, current) = (previous, current, older)
        }
        return previous[b.count]
    }
}
