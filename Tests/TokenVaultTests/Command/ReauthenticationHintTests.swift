import Foundation
import Testing

/// A profile whose refresh token was refused: `token`, `refresh` and `status` print the whole
/// import line from the profile's own settings, and that line, run, brings the profile back.
@Suite("re-authentication: the full import line")
struct ReauthenticationHintTests {
    struct Client: CustomTestStringConvertible, Sendable {
        let name: String
        /// import's options besides --token-endpoint, as given at the first import.
        let options: [String]
        /// The expected line after --token-endpoint URL.
        let expected: String
        let secret: Bool

        var testDescription: String { name }
    }

    static let clients: [Client] = [
        Client(
            name: "public client, every setting",
            options: ["--client-id", "mcp client's id", "--resource", "https://mcp.example.com/mcp", "--issuer", "https://auth.example.com", "--refresh-lifetime", "720h"],
            expected: #"--client-id 'mcp client'\''s id' --resource https://mcp.example.com/mcp --issuer https://auth.example.com --refresh-lifetime 30d"#,
            secret: false
        ),
        Client(
            name: "confidential client, secret in the body",
            options: ["--client-id", "c-42", "--auth-method", "client_secret_post", "--client-secret-file", "SECRET"],
            expected: "--client-id c-42 --auth-method client_secret_post --client-secret-file FILE",
            secret: true
        ),
    ]

    @Test("token, refresh and status print it, and it imports", arguments: clients)
    func fullLine(_ client: Client) throws {
        let server = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant","error_description":"refresh token revoked"}"#)])
        let sandbox = try Sandbox()
        let secretFile = sandbox.directory.file("client-secret")
        let secret = "\(secretMarker)-client-secret"
        #expect(FileManager.default.createFile(atPath: secretFile, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]))
        let options = client.options.map { $0 == "SECRET" ? secretFile : $0 }
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL] + options,
                                  stdin: #"{"access_token":"\#(secretMarker)-old","refresh_token":"\#(secretMarker)-spent","expires_in":-10}"#)
        let settings = try Self.settings(sandbox)
        let line = "tokenvault import p --token-endpoint \(server.tokenURL) \(client.expected)"
        let importing = "sign in again with your MCP client, then import the new tokens (on stdin) with: \(line)"
        // A profile that knows its MCP server (its resource) is offered tokenvault login first.
        let resource = client.options.firstIndex(of: "--resource").map { client.options[$0 + 1] }
        let advice = resource.map { "sign in again with 'tokenvault login p --server \($0)'; or \(importing)" } ?? importing

        let token = try sandbox.run(["token", "p"])
        #expect(token.status == 20, "\(token.stderr)")
        #expect(token.stderr.contains("tokenvault: hint: \(advice)\n"), "\(token.stderr)")
        let refresh = try sandbox.run(["refresh", "p"])
        #expect(refresh.status == 20, "\(refresh.stderr)")
        #expect(refresh.stderr.contains("tokenvault: hint: \(advice)\n"), "\(refresh.stderr)")
        let status = try sandbox.expectSuccess(["status"])
        #expect(status.stdout.contains("p: MCP authentication failed: refresh token expired or revoked; \(advice)\n"), "\(status.stdout)")
        let check = try sandbox.run(["status", "--check"])
        #expect(check.status == 30)
        #expect(check.stdout.contains("check: p: refresh token refused: re-authenticate and re-import; \(advice)\n"), "\(check.stdout)")
        for output in [token.stderr, refresh.stderr, status.stdout, check.stdout] {
            #expect(!output.contains("Quick OAuth") && !output.contains("…"), "\(output)")
            #expect(!output.contains(secretFile), "\(output)")
        }

        // The line as `token` printed it, run by a shell with new tokens on stdin (FILE: where the secret is).
        let printed = try #require(token.stderr.split(separator: "\n").first { $0.hasPrefix("tokenvault: hint: ") }?.components(separatedBy: " with: ").last)
        let tokensFile = sandbox.directory.file("new-tokens.json")
        #expect(FileManager.default.createFile(atPath: tokensFile, contents: Data(#"{"access_token":"\#(secretMarker)-new","refresh_token":"\#(secretMarker)-next","expires_in":3600}"#.utf8), attributes: [.posixPermissions: 0o600]))
        let command = (client.secret ? printed.replacingOccurrences(of: "--client-secret-file FILE", with: "--client-secret-file \(secretFile)") : printed) + " < \(tokensFile)"
        var environment = sandbox.environment
        environment["PATH"] = (tokenvaultExecutable as NSString).deletingLastPathComponent + ":/usr/bin:/bin"
        let reimport = try runProcess("/bin/sh", ["-c", command], environment: environment)
        #expect(reimport.status == 0, "\(reimport.stderr)")
        #expect(reimport.stderr.contains("replaced profile 'p'"), "\(reimport.stderr)")
        let after = try sandbox.expectSuccess(["status", "--check"])
        #expect(after.stdout.contains("check: ok"), "\(after.stdout)")
        #expect(try sandbox.expectSuccess(["token", "p"], secretOnStdout: true).stdout == "\(secretMarker)-new\n")
        #expect(server.requests.count == 1)
        #expect(try Self.settings(sandbox) == settings)
    }

    /// What `status --json` says of the profile's settings (not its tokens or state).
    static func settings(_ sandbox: Sandbox) throws -> [String] {
        let result = try sandbox.expectSuccess(["status", "p", "--json"])
        let profile = try #require(((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["profiles"] as? [[String: Any]])?.first)
        let refresh = try #require(profile["refresh_token"] as? [String: Any])
        return ["token_endpoint", "client_id", "auth_method", "resource", "issuer"].map { "\($0)=\(profile[$0] ?? "nil")" }
            + ["expiry_known=\(refresh["expiry_known"] ?? "nil")"]
    }
}
