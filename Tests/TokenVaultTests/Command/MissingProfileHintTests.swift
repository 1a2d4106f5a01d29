import Foundation
import Testing

/// A profile that is not in the vault: the name a typo meant, the names there are, and an offer
/// to import only where using a profile (`token`, `exec`) may mean one still to import.
@Suite("missing profiles: did you mean, never import a typo")
struct MissingProfileHintTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let hint: String
        let offersImport: Bool

        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let held = "the vault holds 'admin', 'readonly'"
    static let typo = "did you mean 'readonly'? \(held)"
    static let importLine = "to add 'nosuch', run 'tokenvault import nosuch --token-endpoint URL --client-id ID' with its tokens on stdin"

    static let cases: [Case] = [
        Case(arguments: ["token", "readonyl"], hint: typo, offersImport: false),
        Case(arguments: ["token", "--vault", "VAULT", "readonyl"], hint: typo, offersImport: false),
        Case(arguments: ["exec", "readonyl", "--", "/bin/true"], hint: typo, offersImport: false),
        Case(arguments: ["remove", "readonyl"], hint: typo, offersImport: false),
        Case(arguments: ["refresh", "readonyl"], hint: typo, offersImport: false),
        Case(arguments: ["status", "readonyl"], hint: typo, offersImport: false),
        Case(arguments: ["set", "readonyl", "--client-id", "c2"], hint: typo, offersImport: false),
        Case(arguments: ["token", "nosuch"], hint: "\(held); \(importLine)", offersImport: true),
        Case(arguments: ["exec", "nosuch", "--", "/bin/true"], hint: "\(held); \(importLine)", offersImport: true),
        Case(arguments: ["remove", "nosuch"], hint: held, offersImport: false),
        Case(arguments: ["refresh", "nosuch"], hint: held, offersImport: false),
        Case(arguments: ["status", "nosuch"], hint: held, offersImport: false),
        Case(arguments: ["set", "nosuch", "--client-id", "c2"], hint: held, offersImport: false),
    ]

    @Test("each command names the closest profile or the vault's profiles, with exit 15", arguments: cases)
    func missing(_ testCase: Case) throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        try sandbox.importProfile("admin")
        let result = try sandbox.run(testCase.arguments.map { $0 == "VAULT" ? sandbox.vault : $0 })
        let name = testCase.arguments.contains("readonyl") ? "readonyl" : "nosuch"
        #expect(result.status == 15, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: error: OAuth token unavailable: no profile '\(name)' in \(sandbox.vault)"), "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: hint: \(testCase.hint)\n"), "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault import") == testCase.offersImport, "\(result.stderr)")
        #expect(!result.stderr.contains("import \(name) …"), "\(result.stderr)")
    }

    @Test("many profiles are not listed: the hint points to 'tokenvault list'")
    func manyProfiles() throws {
        let sandbox = try Sandbox()
        for index in 1...9 { try sandbox.importProfile("service\(index)") }
        let typo = try sandbox.run(["token", "servcie3"])
        #expect(typo.status == 15)
        #expect(typo.stderr.contains("tokenvault: hint: did you mean 'service3'? 'tokenvault list' shows all 9 profiles\n"), "\(typo.stderr)")
        let other = try sandbox.run(["remove", "billing"])
        #expect(other.status == 15)
        #expect(other.stderr.contains("tokenvault: hint: 'tokenvault list' shows all 9 profiles\n"), "\(other.stderr)")
    }

    @Test("an empty vault says so; token offers the import, remove does not")
    func emptyVault() throws {
        let sandbox = try Sandbox()
        let token = try sandbox.run(["token", "readonly"])
        #expect(token.status == 15)
        #expect(token.stderr.contains("tokenvault: hint: the vault holds no profiles yet; to add 'readonly', run 'tokenvault import readonly --token-endpoint URL --client-id ID' with its tokens on stdin\n"), "\(token.stderr)")
        let remove = try sandbox.run(["remove", "readonly"])
        #expect(remove.status == 15)
        #expect(remove.stderr.contains("tokenvault: hint: the vault holds no profiles yet\n"), "\(remove.stderr)")
    }
}
