/// The name a person most likely meant when the one typed names nothing: the candidate nearest
/// by edit distance (insertions, deletions, substitutions and swaps of neighbours, each counting
/// one), provided it is near enough to be a typo rather than another name altogether.
package enum ClosestName {
    /// The candidate nearest to `name`, if it is within `allowedDistance(for: name)`; of equally
    /// near candidates, the first. `name` itself among the candidates is nearest (distance 0).
    package static func closest(to name: String, in candidates: [String]) -> String? {
        let limit = allowedDistance(for: name)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = distance(from: name, to: candidate)
            // Replacing every letter is not a typo ('q' does not mean 'p').
            guard distance < name.count else { continue }
            if distance <= limit, distance < best?.distance ?? .max { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// How many edits still make a typo: one for names up to 4 characters, then one more for
    /// every 4 characters, never more than 3 (beyond that, another name is likelier than a typo).
    package static func allowedDistance(for name: String) -> Int {
        min(3, max(1, name.count / 4))
    }

    /// The optimal string alignment distance between `a` and `b`, by characters: insertions,
    /// deletions, substitutions and transpositions of adjacent characters each count one.
    package static func distance(from a: String, to b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rows of the (a.count + 1) × (b.count + 1) table: two back, one back, current.
        var twoBack = [Int](repeating: 0, count: b.count + 1)
        var oneBack = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(oneBack[j] + 1, current[j - 1] + 1, oneBack[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], twoBack[j - 2] + 1)
                }
            }
            (twoBack, oneBack, current) = (oneBack, current, twoBack)
        }
        return oneBack[b.count]
    }
}
