import Foundation
import SystemPackage
import Testing
@testable import TokenVault

// What a token endpoint's 200 may put in the vault: tokens of visible ASCII only, `scope` and
// `token_type` whole when they follow RFC 6749's syntax and absent otherwise; and what `status`
// shows of server text already in a vault.

private let oldAccess = "\(secretMarker)-old-access"
private let oldRefresh = "\(secretMarker)-old-refresh"
private let newAccess = "\(secretMarker)-new-access"
private let newRefresh = "\(secretMarker)-new-refresh"

private func importExpired(_ sandbox: Sandbox, _ server: FaultServer, scope: String = "read", sourceLocation: SourceLocation = #_sourceLocation) throws {
    let json = #"{"access_token":"\#(oldAccess)","refresh_token":"\#(oldRefresh)","expires_in":-10,"token_type":"Bearer","scope":"\#(scope)"}"#
    try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: json, sourceLocation: sourceLocation)
}

private func status(_ sandbox: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let result = try sandbox.expectSuccess(["status", "p", "--json"], sourceLocation: sourceLocation)
    let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
    return try #require((document["profiles"] as? [[String: Any]])?.first, sourceLocation: sourceLocation)
}

private func fingerprint(_ field: String, in status: [String: Any]) -> String? {
    (status[field] as? [String: Any])?["fingerprint"] as? String
}

/// A JSON string literal for `text`, escaped as a server would send it.
private func literal(_ text: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed]), as: UTF8.self).dropFirst().dropLast().description
}

@Suite("token endpoint answers")
struct TokenAnswerTests {
    static let unusableTokens = [
        "\(secretMarker)-new\nX-Injected: 1", "\(secretMarker)-new\u{0}tail", "\(secretMarker)-new\u{1b}[2J",
        "\(secretMarker) new", "\(secretMarker)-néw", "\(secretMarker)-new\u{7f}",
    ]

    @Test("a 200 whose access_token is not visible ASCII is refused: nothing printed, the old tokens kept, no second request",
          arguments: unusableTokens)
    func unusableAccessToken(_ token: String) throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":\#(literal(token)),"expires_in":3600}"#)])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 23, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("access_token that is not visible ASCII"))
        #expect(server.requests.count == 1, "the refresh token was presented again")
        let after = try status(sandbox)
        #expect(fingerprint("access_token", in: after) == Secret(copying: oldAccess).fingerprint)
        #expect(fingerprint("refresh_token", in: after) == Secret(copying: oldRefresh).fingerprint)
        #expect(after["state"] as? String == "failing")
        #expect(after["ambiguous_spend_at"] is NSNull, "no refresh token was rotated or spent")
    }

    @Test("a rotated refresh token is kept when the access token beside it is unusable, so the next refresh uses it")
    func rotationKeptBesideUnusableAccessToken() throws {
        let server = try FaultServer([
            FaultServer.json(200, #"{"access_token":"\#(secretMarker)-bad\u001b[2J","refresh_token":"\#(newRefresh)","expires_in":3600}"#),
            FaultServer.json(200, #"{"access_token":"\#(newAccess)","expires_in":3600}"#),
        ])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)

        let first = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(first.status == 23, "\(first.stderr)")
        #expect(first.stdout.isEmpty)
        let after = try status(sandbox)
        #expect(fingerprint("refresh_token", in: after) == Secret(copying: newRefresh).fingerprint)
        #expect(fingerprint("access_token", in: after) == Secret(copying: oldAccess).fingerprint)
        #expect(server.requests.count == 1)

        let second = try sandbox.run(["refresh", "p", "--force"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(server.requests.count == 2)
        #expect(server.requests[1].body.contains("refresh_token=\(newRefresh)"))
        let recovered = try status(sandbox)
        #expect(fingerprint("access_token", in: recovered) == Secret(copying: newAccess).fingerprint)
        #expect(recovered["state"] as? String == "ok")
    }

    @Test("a usable access token is served when the rotated refresh token beside it is unusable, and the vault says the old one may be spent")
    func unusableRefreshToken() throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(newAccess)","refresh_token":"\#(secretMarker)-r\n2","expires_in":3600}"#)])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(newAccess)\n")
        let after = try status(sandbox)
        #expect(fingerprint("refresh_token", in: after) == Secret(copying: oldRefresh).fingerprint)
        #expect(after["ambiguous_spend_at"] is Int)
        #expect((after["last_error"] as? String)?.contains("refresh_token that is not visible ASCII") == true)
        #expect(server.requests.count == 1)
    }

    /// (scope sent, scope stored afterwards; `nil` means the imported "read" is kept)
    static let scopes: [(String, String?)] = [
        ((1...60).map { "scope:\($0)" }.joined(separator: " "), (1...60).map { "scope:\($0)" }.joined(separator: " ")),
        ("read write", "read write"),
        ("read  write", nil), (" read", nil), ("read\twrite", nil), ("read\u{1b}[2J", nil), ("r\"w", nil), ("r\\w", nil),
        ("", nil), ("réad", nil), ("read \(oldRefresh)", nil),
    ]

    @Test("scope is stored whole when it follows RFC 6749, and otherwise left as it was", arguments: scopes)
    func scopeStoredWholeOrNot(_ sent: String, _ stored: String?) throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(newAccess)","expires_in":3600,"scope":\#(literal(sent))}"#)])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)
        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try status(sandbox)["scope"] as? String == (stored ?? "read"))
    }

    @Test("token_type is stored when it is visible ASCII, and otherwise left as it was",
          arguments: [("mac", "mac"), ("DPoP", "DPoP"), (String(repeating: "N", count: 300), String(repeating: "N", count: 300)),
                      ("Bearer x", "Bearer"), ("Bearer\u{1b}[2J", "Bearer"), ("", "Bearer"), ("Béarer", "Bearer")])
    func tokenTypeStoredOrNot(_ sent: String, _ stored: String) throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(newAccess)","expires_in":3600,"token_type":\#(literal(sent))}"#)])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)
        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try status(sandbox)["token_type"] as? String == stored)
    }

    @Test("status shows a vault's stored endpoint and last error without terminal control characters")
    func statusCleansStoredText() throws {
        let sandbox = try Sandbox()
        let store = VaultStore(location: VaultLocation(path: FilePath(sandbox.vault)), keys: try KeyRing.load(keyfile: FilePath(sandbox.keyfile)))
        try store.update { profiles, _ in
            var profile = TokenProfile(
                accessToken: Secret(copying: oldAccess), refreshToken: Secret(copying: oldRefresh), expiresAt: 1, importedAt: 1,
                binding: RefreshBinding(tokenEndpoint: "https://a.example.com/t\u{1b}]0;pwned\u{7}\u{9b}2J\nfake row",
                                        clientID: "c", resource: "https://m.example.com/\u{1b}[31m", issuer: "https://a.example.com\u{7f}"))
            profile.refreshState.lastError = "invalid_grant: \u{1b}[2Jcleared\nsecond line"
            profile.refreshState.consecutiveFailures = 1
            profiles["p"] = profile
        }
        for arguments in [["status"], ["status", "p"], ["status", "--json"], ["status", "--check"]] {
            let result = try sandbox.run(arguments)
            let controls = result.stdout.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
            #expect(controls.isEmpty, "\(arguments): \(result.stdout.debugDescription)")
            #expect(!result.stdout.contains("\nfake row") && !result.stdout.contains("\nsecond line"), "\(arguments): \(result.stdout)")
        }
    }
}
