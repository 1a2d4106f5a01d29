import Foundation
import Testing
import TokenVault
@testable import TokenVaultMCP

@Suite("what a TokenVaultMCPError says")
struct TokenVaultMCPErrorTests {
    static let server = URL(string: "https://mcp.example.com/mcp")!

    struct Case: Sendable, CustomStringConvertible {
        let refresh: RefreshError
        let expected: TokenVaultMCPError
        let fix: String
        var description: String { "\(refresh)" }
    }

    @Test("each refresh failure maps to its case, naming the profile and the command that fixes it", arguments: [
        Case(refresh: .reauthenticationRequired(profile: "readonly", detail: "invalid_grant"),
             expected: .reauthenticationRequired(profile: "readonly", server: server),
             fix: "tokenvault login readonly --server https://mcp.example.com/mcp"),
        Case(refresh: .noRefreshToken(profile: "readonly"),
             expected: .reauthenticationRequired(profile: "readonly", server: server),
             fix: "tokenvault login readonly --server https://mcp.example.com/mcp"),
        Case(refresh: .rejectedAgain(profile: "readonly"),
             expected: .rejectedAgain(profile: "readonly", server: server),
             fix: "tokenvault status readonly"),
        Case(refresh: .transient(profile: "readonly", detail: "HTTP 503", retryAfter: nil),
             expected: .tokenUnavailable(profile: "readonly", detail: "could not refresh profile 'readonly' for now: HTTP 503"),
             fix: "tokenvault status readonly"),
    ])
    func mapped(_ example: Case) {
        let error = TokenVaultMCPError(example.refresh, profile: "readonly", server: Self.server)
        #expect(error == example.expected)
        #expect(error.profile == "readonly")
        #expect(error.problem.contains("'readonly'"))
        #expect(error.hint.contains(example.fix))
        #expect(error.localizedDescription == "\(error.problem); hint: \(error.hint)")
    }
}
