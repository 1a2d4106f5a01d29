import Testing
@testable import TokenVault

@Suite("closest name")
struct ClosestNameTests {
    @Test("a typo finds the name meant; a name far from every candidate finds none", arguments: [
        ("readonyl", ["readonly", "admin"], "readonly"),   // two neighbours swapped
        ("readonl", ["readonly", "admin"], "readonly"),    // one letter missing
        ("Readonly", ["readonly", "admin"], "readonly"),   // letter case
        ("amdin", ["readonly", "admin"], "admin"),
        ("tokens.vualt", ["tokens.vault", "other.vault"], "tokens.vault"),
        ("nosuch", ["readonly", "admin"], nil),
        ("a", ["b", "c"], nil),                            // every letter replaced: not a typo
        ("ab", ["b", "a"], "a"),                           // ties go to the name that sorts first
        ("ab", ["cd"], nil),
        ("admin", ["admin"], nil),                         // the name itself is no suggestion
        ("x", [], nil),
    ] as [(String, [String], String?)])
    func closest(name: String, candidates: [String], expected: String?) {
        #expect(ClosestName.closest(to: name, in: candidates) == expected)
        #expect(ClosestName.closest(to: name, in: candidates.reversed()) == expected)
    }

    @Test("edit distance counts insertions, deletions, substitutions and swaps as one each", arguments: [
        ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0), ("abc", "abd", 1), ("abc", "acb", 1),
        ("abc", "abcd", 1), ("kitten", "sitting", 3), ("ca", "abc", 3),
    ])
    func distance(a: String, b: String, expected: Int) {
        #expect(ClosestName.editDistance(Array(a.unicodeScalars), Array(b.unicodeScalars)) == expected)
    }
}
