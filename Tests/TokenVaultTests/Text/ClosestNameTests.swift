import Testing
@testable import TokenVault

/// The name a typo most likely meant, and none when every candidate is another name altogether.
@Suite("closest name")
struct ClosestNameTests {
    @Test("a typo finds the name it missed; another name is not a typo", arguments: [
        ("token.vault", ["staging.vault", "tokens.vault"], "tokens.vault"),
        ("readonyl", ["admin", "readonly"], "readonly"),
        ("admni", ["admin", "audit"], "admin"),
        ("/srv/vaults/tokens.vault", ["/srv/vault/tokens.vault"], "/srv/vault/tokens.vault"),
        ("prod", ["staging", "dev"], nil),
        ("ab", ["xy"], nil),
        ("q", ["p"], nil),
        ("ab", ["b"], "b"),
        ("anything", [], nil),
        ("/srv/app/new.vault", ["/home/ops/.local/share/tokenvault/tokens.vault"], nil),
    ] as [(String, [String], String?)])
    func closest(_ name: String, _ candidates: [String], _ expected: String?) {
        #expect(ClosestName.closest(to: name, in: candidates) == expected)
    }

    @Test("edits, including a swap of neighbours, count one each", arguments: [
        ("", "abc", 3), ("abc", "abc", 0), ("abc", "acb", 1), ("kitten", "sitting", 3), ("ca", "abc", 3),
    ])
    func distance(_ a: String, _ b: String, _ expected: Int) {
        #expect(ClosestName.distance(from: a, to: b) == expected)
        #expect(ClosestName.distance(from: b, to: a) == expected)
    }
}
