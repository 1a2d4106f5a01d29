import Foundation
import Testing

/// `tokenvault set PROFILE`: a profile's settings changed in place, read back as `status --json`
/// shows them, with the vault still opening and the tokens untouched.
@Suite("set")
struct SetCommandTests {
    private func profileJSON(_ sandbox: Sandbox, _ name: String = "p", sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try sandbox.expectSuccess(["status", "--json", name], sourceLocation: sourceLocation)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
        let profiles = try #require(object["profiles"] as? [[String: Any]], sourceLocation: sourceLocation)
        return try #require(profiles.first, sourceLocation: sourceLocation)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let member: String
        /// The value `status --json` shows afterwards; `nil` for JSON null.
        let expected: String?
        /// The line `set` prints for the change.
        let line: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    @Test("each setting is changed, printed old → new and read back by status --json; the tokens stay the same", arguments: [
        Case(arguments: ["--resource", "https://mcp.example.com/mcp"], member: "resource", expected: "https://mcp.example.com/mcp",
             line: "  resource: (none) → https://mcp.example.com/mcp"),
        Case(arguments: ["--issuer", "https://auth.example.com"], member: "issuer", expected: "https://auth.example.com",
             line: "  issuer: (none) → https://auth.example.com"),
        Case(arguments: ["--token-endpoint", "https://other.example.com/token"], member: "token_endpoint", expected: "https://other.example.com/token",
             line: "  token_endpoint: https://auth.example.com/token → https://other.example.com/token"),
        Case(arguments: ["--client-id", "new-client"], member: "client_id", expected: "new-client",
             line: "  client_id: client-p → new-client"),
        Case(arguments: ["--auth-method", "client_secret_post", "--client-secret-file", "SECRET"], member: "auth_method", expected: "client_secret_post",
             line: "  auth_method: none → client_secret_post"),
    ])
    func changeOne(_ test: Case) throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let before = try profileJSON(sandbox)
        let secretFile = sandbox.directory.file("client-secret")
        #expect(FileManager.default.createFile(atPath: secretFile, contents: Data("\(secretMarker)-client-secret\n".utf8), attributes: [.posixPermissions: 0o600]))
        let arguments = test.arguments.map { $0 == "SECRET" ? secretFile : $0 }

        let result = try sandbox.expectSuccess(["set", "p"] + arguments)
        #expect(result.stdout.hasPrefix("changed profile 'p' in \(sandbox.vault):\n"))
        #expect(result.stdout.split(separator: "\n").map(String.init).contains(test.line), "\(result.stdout)")

        let after = try profileJSON(sandbox)
        #expect(after[test.member] as? String == test.expected)
        let fingerprints = { (profile: [String: Any]) in
            [(profile["access_token"] as? [String: Any])?["fingerprint"] as? String, (profile["refresh_token"] as? [String: Any])?["fingerprint"] as? String]
        }
        #expect(fingerprints(after) == fingerprints(before))
        #expect(after["imported_at"] as? Int == before["imported_at"] as? Int)
        #expect(try sandbox.profileNames() == ["p"])
        #expect(sandbox.mode(of: sandbox.vault) == 0o600)
    }

    @Test("a client secret is shown only as set or none, and clearing it needs --auth-method none")
    func clientSecret() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let secretFile = sandbox.directory.file("client-secret")
        #expect(FileManager.default.createFile(atPath: secretFile, contents: Data("\(secretMarker)-client-secret\n".utf8), attributes: [.posixPermissions: 0o600]))
        let set = try sandbox.expectSuccess(["set", "p", "--client-secret-file", secretFile, "--auth-method", "client_secret_basic"])
        #expect(set.stdout == """
            changed profile 'p' in \(sandbox.vault):
              client_secret: (none) → set
              auth_method: none → client_secret_basic

            """)

        let refused = try sandbox.run(["set", "p", "--clear-client-secret"])
        #expect(refused.status == 64)
        #expect(refused.stderr == """
            tokenvault: error: profile 'p' would authenticate with client_secret_basic but have no client secret
            tokenvault: hint: pass --client-secret-file FILE, or --auth-method none for a public client

            """)
        #expect(try profileJSON(sandbox)["auth_method"] as? String == "client_secret_basic")

        let cleared = try sandbox.expectSuccess(["set", "p", "--clear-client-secret", "--auth-method", "none"])
        #expect(cleared.stdout.contains("  client_secret: set → (none)\n  auth_method: client_secret_basic → none\n"))
    }

    @Test("--refresh-lifetime sets the refresh token's expiry from when it was obtained; --clear-refresh-lifetime forgets both")
    func refreshLifetime() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let before = try #require(try profileJSON(sandbox)["refresh_token"] as? [String: Any])
        #expect(before["expiry_known"] as? Bool == false)

        let set = try sandbox.expectSuccess(["set", "p", "--refresh-lifetime", "30d"])
        #expect(set.stdout.contains("  refresh_token_lifetime: (none) → 2592000s\n"))
        let after = try #require(try profileJSON(sandbox)["refresh_token"] as? [String: Any])
        let issued = try #require(after["issued_at"] as? Int)
        #expect(after["expires_at"] as? Int == issued + 2_592_000)
        #expect(after["expiry_known"] as? Bool == true)

        try sandbox.expectSuccess(["set", "p", "--clear-refresh-lifetime"])
        let cleared = try #require(try profileJSON(sandbox)["refresh_token"] as? [String: Any])
        #expect(cleared["expiry_known"] as? Bool == false)
        #expect(cleared["expires_at"] is NSNull)
    }

    @Test("--clear-resource and --clear-issuer unset what was set")
    func clearing() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        try sandbox.expectSuccess(["set", "p", "--resource", "https://mcp.example.com/mcp", "--issuer", "https://auth.example.com"])
        let result = try sandbox.expectSuccess(["set", "p", "--clear-resource", "--clear-issuer"])
        #expect(result.stdout == """
            changed profile 'p' in \(sandbox.vault):
              resource: https://mcp.example.com/mcp → (none)
              issuer: https://auth.example.com → (none)

            """)
        let profile = try profileJSON(sandbox)
        #expect(profile["resource"] is NSNull)
        #expect(profile["issuer"] is NSNull)
    }

    @Test("a new token endpoint for a profile with a refresh token is done and said plainly on stderr")
    func redirectWarning() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let result = try sandbox.expectSuccess(["set", "p", "--token-endpoint", "https://other.example.com/token"])
        #expect(result.stderr == "tokenvault: warning: from the next refresh on, 'p' sends its refresh token to https://other.example.com/token as client client-p, not where it was sent before: only the server that issued the token can redeem it, and whichever server receives it sees it\n")
        let same = try sandbox.expectSuccess(["set", "p", "--resource", "https://mcp.example.com/mcp"])
        #expect(same.stderr.isEmpty)
    }

    @Test("the same value again changes nothing, says so, and writes nothing")
    func unchanged() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let before = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        let result = try sandbox.expectSuccess(["set", "p", "--client-id", "client-p"])
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "tokenvault: profile 'p' in \(sandbox.vault) already has these settings; nothing changed\n")
        // The same bytes: no new generation, not even a re-seal under a new nonce.
        #expect(try Data(contentsOf: URL(fileURLWithPath: sandbox.vault)) == before)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let status: Int32
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    @Test("a value import would refuse is refused with import's exit code, and the vault is not written", arguments: [
        Refusal(arguments: ["p", "--token-endpoint", "http://auth.example.com/token"], status: 64,
                message: "Error: --token-endpoint: 'http://auth.example.com/token' is not https; plain http is allowed only to 127.0.0.0/8, ::1 or localhost"),
        Refusal(arguments: ["p", "--resource", "https://mcp.example.com:+443/mcp"], status: 64,
                message: "Error: --resource: 'https://mcp.example.com:+443/mcp' has a port that is not a plain number from 1 to 65535"),
        Refusal(arguments: ["p", "--issuer", "not a url"], status: 64, message: "Error: --issuer: "),
        Refusal(arguments: ["p", "--auth-method", "private_key_jwt"], status: 64,
                message: "Error: --auth-method must be one of none, client_secret_basic, client_secret_post"),
        Refusal(arguments: ["p", "--refresh-lifetime", "30x"], status: 64,
                message: "Error: --refresh-lifetime: '30x' is not a duration like 30d, 720h or 3600s"),
        Refusal(arguments: ["p", "--resource", "https://mcp.example.com", "--clear-resource"], status: 64,
                message: "Error: --resource and its --clear-… flag contradict each other; give one"),
        Refusal(arguments: ["p"], status: 64, message: "Error: nothing to change"),
        Refusal(arguments: ["p", "--client-id", ""], status: 64, message: "Error: the client id must not be empty"),
        Refusal(arguments: ["billing", "--resource", "https://mcp.example.com"], status: 15,
                message: "tokenvault: error: OAuth token unavailable: no profile 'billing' in VAULT\ntokenvault: hint: the vault holds 'p'\n"),
    ])
    func refused(_ test: Refusal) throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let before = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        let result = try sandbox.run(["set"] + test.arguments)
        #expect(result.status == test.status, "\(result.output)")
        #expect(result.stderr.hasPrefix(test.message.replacingOccurrences(of: "VAULT", with: sandbox.vault)), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: sandbox.vault)) == before)
    }
}
