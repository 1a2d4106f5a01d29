import Foundation
import Testing

/// Tokens seeded by the real server do not carry the leak marker, so these tests check leaks
/// by the tokens' own values.
private func expectNoLeak(_ result: RunResult, of tokens: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for token in tokens {
        #expect(!result.stderr.contains(token), "a token leaked to stderr", sourceLocation: sourceLocation)
    }
}

@Suite("refresh against a real authorization server", .serialized)
struct RefreshServerTests {
    func importSeeded(_ sandbox: Sandbox, _ server: OAuthServer, profile: String, accessLifetime: Int) throws -> [String: Any] {
        let seeded = try server.seed(accessLifetime: accessLifetime)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: seeded), as: UTF8.self)
        let result = try sandbox.expectSuccess(
            ["import", profile, "--token-endpoint", server.tokenEndpoint, "--client-id", "tokenvault-test",
             "--resource", server.resource], stdin: json)
        expectNoLeak(result, of: [seeded["access_token"] as! String, seeded["refresh_token"] as! String])
        return seeded
    }

    func statusJSON(_ sandbox: Sandbox, _ profile: String) throws -> [String: Any] {
        let result = try sandbox.expectSuccess(["status", profile, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        return (object["profiles"] as! [[String: Any]])[0]
    }

    @Test("an expired token is refreshed and rotated, and the new pair is sealed on disk before it is printed")
    func refreshRotates() throws {
        let server = try OAuthServer()
        let sandbox = try Sandbox()
        let seeded = try importSeeded(sandbox, server, profile: "readonly", accessLifetime: -5)
        let oldRefresh = seeded["refresh_token"] as! String
        let before = try statusJSON(sandbox, "readonly")

        let result = try sandbox.run(["token", "readonly"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        let token = result.stdout.trimmingCharacters(in: .newlines)
        #expect(result.stdout == token + "\n")
        #expect(token != seeded["access_token"] as? String)
        #expect(try server.resourceAccepts(token))
        expectNoLeak(result, of: [token, oldRefresh])

        let after = try statusJSON(sandbox, "readonly")
        let access = after["access_token"] as! [String: Any]
        #expect(access["state"] as? String == "valid")
        #expect((access["expires_in"] as? Int ?? 0) > 3500)
        #expect((after["refresh_token"] as! [String: Any])["fingerprint"] as? String
                != (before["refresh_token"] as! [String: Any])["fingerprint"] as? String)
        #expect(after["last_refreshed_at"] as? Int != nil)
        // The old refresh token is spent at the server; the vault holds the new one, sealed.
        #expect(try server.refreshTokenStatus(oldRefresh)["revoked"] as? Bool == true)
        let vaultBytes = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        #expect(vaultBytes.range(of: Data(token.utf8)) == nil)
        // The next call is served from the vault without another request.
        let again = try sandbox.run(["token", "readonly"], secretOnStdout: true)
        #expect(again.stdout == result.stdout)
        #expect(try server.stats()["refresh_grants_ok"] as? Int == 1)
    }

    @Test("sixteen processes on one expired token cause exactly one refresh and all print the same live token")
    func sixteenProcesses() throws {
        let server = try OAuthServer()
        let sandbox = try Sandbox()
        _ = try importSeeded(sandbox, server, profile: "shared", accessLifetime: -5)
        try server.resetStats()

        let outputs = try (0..<16).map { _ -> (Process, Pipe) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tokenvaultExecutable)
            process.arguments = ["token", "shared"]
            process.environment = sandbox.environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            return (process, pipe)
        }
        var tokens = Set<String>()
        for (process, pipe) in outputs {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            tokens.insert(String(decoding: data, as: UTF8.self))
        }
        #expect(tokens.count == 1, "processes printed \(tokens.count) different tokens")
        let stats = try server.stats()
        #expect(stats["token_requests"] as? Int == 1)
        #expect(stats["refresh_grants_ok"] as? Int == 1)
        #expect(stats["refresh_grants_failed"] as? Int == 0)
        let token = try #require(tokens.first).trimmingCharacters(in: .newlines)
        #expect(try server.resourceAccepts(token))
    }

    @Test("a refresh token spent elsewhere leads to re-authentication required, keeps the tokens, and leaves other profiles alone")
    func spentElsewhere() throws {
        let server = try OAuthServer()
        let sandbox = try Sandbox()
        let stolen = try importSeeded(sandbox, server, profile: "admin", accessLifetime: -5)
        _ = try importSeeded(sandbox, server, profile: "readonly", accessLifetime: -5)
        // MCP Inspector (say) still refreshes the imported chain.
        let spent = try server.spend(refreshToken: stolen["refresh_token"] as! String)
        #expect(spent["access_token"] != nil)
        let before = try statusJSON(sandbox, "admin")

        let result = try sandbox.run(["token", "admin"], secretOnStdout: true)
        #expect(result.status == 20)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("tokenvault: error: MCP authentication failed: refresh token expired or revoked for profile 'admin'"))
        #expect(result.stderr.contains("tokenvault: hint: sign in again"))
        let after = try statusJSON(sandbox, "admin")
        #expect(after["reauth_required"] as? Bool == true)
        #expect(after["state"] as? String == "reauth-required")
        #expect((after["refresh_token"] as! [String: Any])["fingerprint"] as? String
                == (before["refresh_token"] as! [String: Any])["fingerprint"] as? String)
        let requests = try server.stats()["token_requests"] as? Int ?? 0
        // Recorded: the next call fails the same way without presenting the dead token again.
        #expect(try sandbox.run(["token", "admin"], secretOnStdout: true).status == 20)
        #expect(try server.stats()["token_requests"] as? Int == requests)

        let other = try sandbox.run(["token", "readonly"], secretOnStdout: true)
        #expect(other.status == 0)
        #expect(try server.resourceAccepts(other.stdout.trimmingCharacters(in: .newlines)))
        #expect(try statusJSON(sandbox, "readonly")["state"] as? String == "ok")
    }

    @Test("a server restart in the middle of a run: transient failure while down, refresh after it is back")
    func serverRestart() throws {
        let server = try OAuthServer()
        let sandbox = try Sandbox()
        _ = try importSeeded(sandbox, server, profile: "p", accessLifetime: -5)
        _ = try importSeeded(sandbox, server, profile: "fresh", accessLifetime: 3600)
        server.stop()

        let down = try sandbox.run(["token", "p"], environment: ["TOKENVAULT_HTTP_TIMEOUT": "2"], secretOnStdout: true)
        #expect(down.status == 23)
        #expect(down.stderr.contains("could not refresh profile 'p' for now"))
        let served = try sandbox.run(["token", "fresh"], secretOnStdout: true)
        #expect(served.status == 0, "a still-valid token must be served while the server is down")

        try server.start()
        let up = try sandbox.run(["refresh", "p", "--force"])
        #expect(up.status == 0, "\(up.stderr)")
        let token = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(token.status == 0)
        #expect(try server.resourceAccepts(token.stdout.trimmingCharacters(in: .newlines)))
        #expect(try statusJSON(sandbox, "p")["consecutive_failures"] as? Int == 0)
    }

    @Test("a confidential client refreshes with client_secret_basic from a private secret file")
    func confidentialClient() throws {
        let server = try OAuthServer()
        let sandbox = try Sandbox()
        let seeded = try server.seed(accessLifetime: -5, clientID: "confidential-app", confidential: true)
        let secretFile = sandbox.directory.file("client-secret")
        _ = FileManager.default.createFile(atPath: secretFile, contents: Data((seeded["client_secret"] as! String + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        var tokens = seeded
        tokens["client_secret"] = nil
        let json = String(decoding: try JSONSerialization.data(withJSONObject: tokens), as: UTF8.self)
        try sandbox.expectSuccess(["import", "c", "--token-endpoint", server.tokenEndpoint, "--client-id", "confidential-app",
                                   "--client-secret-file", secretFile, "--resource", server.resource], stdin: json)
        let result = try sandbox.run(["token", "c"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        expectNoLeak(result, of: [seeded["client_secret"] as! String])
        #expect(try server.resourceAccepts(result.stdout.trimmingCharacters(in: .newlines)))
    }

    @Test("import --server finds the token endpoint, issuer and resource through RFC 9728 and RFC 8414 metadata")
    func discovery() throws {
        let server = try OAuthServer()
        let sandbox = try Sandbox()
        let seeded = try server.seedJSON(accessLifetime: -5)
        let result = try sandbox.expectSuccess(["import", "found", "--server", server.resource], stdin: seeded)
        #expect(result.stderr.contains("discovered token endpoint \(server.tokenEndpoint)"))
        let status = try statusJSON(sandbox, "found")
        #expect(status["token_endpoint"] as? String == server.tokenEndpoint)
        #expect(status["issuer"] as? String == server.issuer)
        #expect(status["resource"] as? String == server.resource)
        let token = try sandbox.run(["token", "found"], secretOnStdout: true)
        #expect(token.status == 0)
        #expect(try server.resourceAccepts(token.stdout.trimmingCharacters(in: .newlines)))
    }
}
