import Foundation
import Testing
@testable import TokenVault

// A token endpoint that echoes what it was sent (a refresh token, a client secret, the Basic
// credential) in error text or a redirect's Location: what reaches stderr, `status` and
// `status --json` must hold no run of 8 characters or more of any of it, in any encoding.

/// A refresh token with characters that form-encoding changes, so encoded echoes differ from raw.
private let spentRefresh = "\(secretMarker)/old+refresh=AbC:xyz~0123456789"
/// A client secret with a space, which an echo may show as `+` or `%20`.
private let clientSecret = "\(secretMarker) client/secret+Key=42"
private let clientID = "client-p"

private func formEncoded(_ text: String, lowercase: Bool = false, plusForSpace: Bool = false) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        case UInt8(ascii: " ") where plusForSpace:
            out += "+"
        default:
            let hex = String(byte, radix: 16, uppercase: !lowercase)
            out += "%" + (hex.count == 1 ? "0" : "") + hex
        }
    }
    return out
}

/// What `client_secret_basic` sends after `Basic `: base64 of the form-encoded id ":" secret.
private let basicCredential = Data((formEncoded(clientID) + ":" + formEncoded(clientSecret)).utf8).base64EncodedString()
private let basicCredentialURLSafe = basicCredential
    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")

/// `client_secret_basic` as most HTTP stacks build it: base64 of the raw id ":" secret.
private let rawBasicCredential = Data((clientID + ":" + clientSecret).utf8).base64EncodedString()

private func base64(_ text: String, urlSafe: Bool = false) -> String {
    let encoded = Data(text.utf8).base64EncodedString()
    guard urlSafe else { return encoded }
    return encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}

private func hex(_ text: String, uppercase: Bool = false) -> String {
    text.utf8.map { String(format: uppercase ? "%02X" : "%02x", $0) }.joined()
}

/// Every window of `width` characters of `secret` that shows up in `text`.
private func fragments(of secret: String, in text: String, width: Int = 8) -> [String] {
    let characters = Array(secret)
    guard characters.count >= width else { return text.contains(secret) ? [secret] : [] }
    return (0...(characters.count - width)).map { String(characters[$0..<($0 + width)]) }.filter { text.contains($0) }
}

private func expectNoFragments(_ secrets: [String], in text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for secret in secrets {
        let found = fragments(of: secret, in: text)
        #expect(found.isEmpty, "\(what) shows part of a secret: \(found)", sourceLocation: sourceLocation)
    }
}

/// A profile with an expired access token, the refresh token above and the client secret above.
private func importProfile(_ sandbox: Sandbox, endpoint: String, authMethod: String) throws {
    let secretFile = sandbox.directory.file("client-secret")
    #expect(FileManager.default.createFile(atPath: secretFile, contents: Data(clientSecret.utf8), attributes: [.posixPermissions: 0o600]))
    let json = #"{"access_token":"\#(secretMarker)-old-access","refresh_token":"\#(spentRefresh)","expires_in":-10}"#
    try sandbox.expectSuccess(
        ["import", "p", "--token-endpoint", endpoint, "--client-id", clientID, "--client-secret-file", secretFile,
         "--auth-method", authMethod], stdin: json)
}

/// Runs `token p` against the server, then `status` and `status --json`; returns all they printed.
private func observe(_ sandbox: Sandbox, expectedStatus: Int32, sourceLocation: SourceLocation = #_sourceLocation) throws -> (stderr: String, everything: String) {
    let result = try sandbox.run(["token", "p"], secretOnStdout: true, sourceLocation: sourceLocation)
    #expect(result.status == expectedStatus, "\(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    let table = try sandbox.expectSuccess(["status"], sourceLocation: sourceLocation)
    let json = try sandbox.expectSuccess(["status", "--json"], sourceLocation: sourceLocation)
    return (result.stderr, result.stderr + table.stdout + json.stdout)
}

@Suite("echoes of what was sent are masked")
struct ServerEchoTests {
    @Test("a redirect whose Location carries the refresh token and the Basic credential is reported without them")
    func redirectLocationMasked() throws {
        let location = "https://login.example/?rt=\(formEncoded(spentRefresh))&auth=Basic%20\(formEncoded(basicCredential))&raw=\(basicCredential)"
        let server = try FaultServer([.respond(status: 302, headers: [("Location", location)], body: "")])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL, authMethod: "client_secret_basic")

        let seen = try observe(sandbox, expectedStatus: 22)
        #expect(seen.stderr.contains("redirected (302) to https://login.example/?rt="))
        expectNoFragments([spentRefresh, clientSecret, formEncoded(spentRefresh), formEncoded(clientSecret), basicCredential], in: seen.everything, "the redirect report")
        #expect(server.requests.count == 1)
    }

    /// How a server might echo the secrets in its `error_description`.
    static let echoes: [(String, String)] = [
        ("lower-case percent-encoding", formEncoded(spentRefresh, lowercase: true)),
        ("upper-case percent-encoding", formEncoded(spentRefresh)),
        ("mixed-case percent-encoding", formEncoded(spentRefresh).replacingOccurrences(of: "%2F", with: "%2f")),
        ("the refresh token cut short by two characters", String(spentRefresh.dropLast(2))),
        ("the refresh token without its first three characters", String(spentRefresh.dropFirst(3))),
        ("a percent-encoded copy cut short", String(formEncoded(spentRefresh, lowercase: true).dropLast(4))),
        ("the client secret with + for space", formEncoded(clientSecret, plusForSpace: true)),
        ("the client secret with %20 for space, lower-case hex", formEncoded(clientSecret, lowercase: true)),
        ("the client secret decoded with + kept", clientSecret.replacingOccurrences(of: " ", with: "+")),
        ("the Basic credential in base64", basicCredential),
        ("the Basic credential in URL-safe base64", basicCredentialURLSafe),
        ("the Basic credential in base64, cut short", String(basicCredential.dropLast(3))),
        ("the Basic credential percent-encoded", formEncoded(basicCredential, lowercase: true)),
        ("the refresh token in base64", base64(spentRefresh)),
        ("the refresh token in URL-safe base64", base64(spentRefresh, urlSafe: true)),
        ("the client secret in base64", base64(clientSecret)),
        ("the client secret in URL-safe base64", base64(clientSecret, urlSafe: true)),
        ("the refresh token in lower-case hex", hex(spentRefresh)),
        ("the refresh token in upper-case hex", hex(spentRefresh, uppercase: true)),
        ("the client secret in lower-case hex", hex(clientSecret)),
        ("the client secret in upper-case hex", hex(clientSecret, uppercase: true)),
        ("the Basic credential built from the raw id and secret, in base64", rawBasicCredential),
        ("the Basic credential built from the raw id and secret, in URL-safe base64", base64(clientID + ":" + clientSecret, urlSafe: true)),
    ]

    @Test("server error text is masked whatever the encoding of the echo", arguments: echoes)
    func encodedEchoMasked(_ echo: (name: String, text: String)) throws {
        let description = "bad grant x\(echo.text)y from client"
        let body = try String(decoding: JSONSerialization.data(withJSONObject: ["error": "invalid_grant", "error_description": description]), as: UTF8.self)
        let server = try FaultServer([FaultServer.json(400, body)])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL, authMethod: "client_secret_basic")

        let seen = try observe(sandbox, expectedStatus: 20)
        #expect(seen.stderr.contains("bad grant x"), "\(echo.name): \(seen.stderr)")
        expectNoFragments([echo.text, spentRefresh, clientSecret, basicCredential], in: seen.everything, echo.name)
    }

    @Test("the client secret sent in the form is masked when echoed with + or %20 for its space")
    func postedSecretMasked() throws {
        let echo = formEncoded(clientSecret, plusForSpace: true)
        let server = try FaultServer([FaultServer.json(401, #"{"error":"invalid_client","error_description":"client_secret=\#(echo) is wrong"}"#)])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL, authMethod: "client_secret_post")

        let seen = try observe(sandbox, expectedStatus: 21)
        #expect(seen.stderr.contains("client_secret="))
        expectNoFragments([echo, clientSecret], in: seen.everything, "the invalid_client report")
    }

    @Test("masking a 64 KiB answer full of near-copies of the secrets stays fast")
    func maskingIsLinear() throws {
        let refresh = Secret(copying: String(repeating: "a", count: 4000) + "b")
        let secret = Secret(copying: String(repeating: "a", count: 4000) + "c d")
        let request = TokenRequest(refreshToken: refresh, binding: RefreshBinding(
            tokenEndpoint: "https://a.example.com/t", clientID: "c", clientSecret: secret, authMethod: .clientSecretBasic))
        let text = Secret(copying: String(repeating: "a", count: 64 * 1024 - 1) + "b")
        let start = ContinuousClock.now
        let cleaned = text.withUnsafeBytes { ServerText.clean($0, masking: request.echoes, limit: nil) }
        let elapsed = ContinuousClock.now - start
        #expect(cleaned == String(repeating: "*", count: 64 * 1024))
        #expect(elapsed < .seconds(1), "masking took \(elapsed)")
    }
}
