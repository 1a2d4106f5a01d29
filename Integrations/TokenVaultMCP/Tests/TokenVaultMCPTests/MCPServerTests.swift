import Foundation
import MCP
import Testing
import TokenVault
import TokenVaultMCP

/// The MCP Swift SDK's own client and HTTP transport, authorized by `TokenVaultAuthorizer`,
/// against a real MCP server (the official Python SDK) that introspects every token at the real
/// authorization server.
@Suite("the MCP SDK's client with a vault profile, against a real MCP server", .serialized)
struct MCPServerTests {
    /// One authorization server, one MCP server and a vault whose profile holds seeded tokens.
    struct Setup {
        let oauth: OAuthServer
        let mcp: MCPServer
        let fixture: VaultFixture
        let endpoint: URL

        init(accessLifetime: Int = 3600) throws {
            oauth = try OAuthServer()
            // JSON answers: the SDK's HTTP transport reads no SSE on Linux.
            mcp = try MCPServer(authorizationServer: oauth, jsonResponse: true)
            endpoint = URL(string: mcp.url)!
            fixture = try VaultFixture(server: oauth, accessLifetime: accessLifetime, resource: mcp.url)
        }

        /// A connected client, as an app makes one.
        func connect() async throws -> Client {
            let transport = HTTPClientTransport(endpoint: endpoint, streaming: false, authorizer: fixture.authorizer)
            let client = Client(name: "tokenvault-mcp-tests", version: "1")
            try await fixture.authorizer.rethrowingVaultErrors {
                _ = try await client.connect(transport: transport)
            }
            return client
        }

        /// Calls `echo` through `client` and returns its text.
        func echo(_ client: Client, _ text: String) async throws -> String? {
            try await fixture.authorizer.rethrowingVaultErrors {
                let (content, isError) = try await client.callTool(name: "echo", arguments: ["text": .string(text)])
                #expect(isError != true)
                guard case .text(let answer, _, _)? = content.first else { return nil }
                return answer
            }
        }

        func unauthorized() throws -> Int { try mcp.stats()["unauthorized"] as? Int ?? -1 }
    }

    @Test("a tool call succeeds with the vault's token, and a valid token costs no refresh")
    func toolCall() async throws {
        let setup = try Setup()
        let client = try await setup.connect()
        let (tools, _) = try await client.listTools()
        #expect(Set(tools.map(\.name)) == ["echo", "whoami"])
        #expect(try await setup.echo(client, "hello") == "hello")
        #expect(try setup.fixture.refreshes() == 0)
        #expect(try setup.unauthorized() == 0)
        await client.disconnect()
    }

    @Test("after the access token expires, the next call refreshes once before it is sent, and succeeds")
    func expiredToken() async throws {
        // 20 s: the refresh margin is a fifth of that, so the first calls need no refresh.
        let setup = try Setup(accessLifetime: 20)
        let client = try await setup.connect()
        #expect(try await setup.echo(client, "before") == "before")
        #expect(try setup.fixture.refreshes() == 0)

        // Until the vault holds the token as expired (it counts from the import, after the seed).
        let expiresIn = try #require((setup.fixture.status()["access_token"] as? [String: Any])?["expires_in"] as? Int)
        try await Task.sleep(for: .seconds(expiresIn + 1))
        #expect(try await setup.echo(client, "after") == "after")
        #expect(try await setup.echo(client, "again") == "again")
        let stats = try setup.fixture.server.stats()
        #expect(stats["refresh_grants_ok"] as? Int == 1, "\(stats)")
        #expect(try setup.unauthorized() == 0, "the expired token was refreshed before the request, not after a 401")
        await client.disconnect()
    }

    @Test("when the MCP server stops accepting the access token, its 401 costs exactly one refresh and the call is retried and succeeds")
    func rejectedToken() async throws {
        let setup = try Setup()
        let client = try await setup.connect()
        #expect(try await setup.echo(client, "before") == "before")
        try setup.fixture.expireAtServer(setup.fixture.accessToken)

        #expect(try await setup.echo(client, "after") == "after")
        #expect(try setup.fixture.refreshes() == 1)
        #expect(try setup.unauthorized() == 1)
        #expect(try await setup.echo(client, "again") == "again")
        #expect(try setup.fixture.refreshes() == 1)
        await client.disconnect()
    }

    @Test("after the refresh token is revoked (or the access token, which revokes its refresh token here), the call fails with the re-authentication error and status says so",
          arguments: ["refresh_token", "access_token"])
    func revokedChain(revoked: String) async throws {
        let setup = try Setup()
        let client = try await setup.connect()
        #expect(try await setup.echo(client, "before") == "before")
        try setup.oauth.revoke(token: revoked == "refresh_token" ? setup.fixture.refreshToken : setup.fixture.accessToken)

        await #expect(throws: TokenVaultMCPError.reauthenticationRequired(profile: "readonly", server: setup.endpoint)) {
            _ = try await setup.echo(client, "after")
        }
        #expect(try setup.fixture.refreshes() == 0)
        #expect(try setup.fixture.failedRefreshes() == 1, "one refresh attempt, refused")
        #expect(try setup.fixture.status()["reauth_required"] as? Bool == true)
        let status = try setup.fixture.sandbox.expectSuccess(["status", "readonly"])
        #expect(status.stdout.contains("reauth-required"), "\(status.stdout)")

        // The next call asks the vault again and fails the same way, without another refresh attempt.
        await #expect(throws: TokenVaultMCPError.reauthenticationRequired(profile: "readonly", server: setup.endpoint)) {
            _ = try await setup.echo(client, "again")
        }
        #expect(try setup.fixture.failedRefreshes() == 1)
        await client.disconnect()
    }

    @Test("eight Python processes and this Swift process calling tools at once on an expired token cause one refresh in all")
    func pythonAndSwiftRace() async throws {
        let setup = try Setup(accessLifetime: -5)
        // The refresh takes long enough for every caller to want it.
        try setup.oauth.setDelay(milliseconds: 500)
        let python = try #require(ProcessInfo.processInfo.environment["TOKENVAULT_TEST_PYTHON"], "run the suite with scripts/test")
        // This package's Tests/… are links into the repository's; the Python client's tests are
        // two folders up from this package.
        let tests = OAuthServer.repositoryRoot.appendingPathComponent("../../clients/python/tests").standardized
        var environment = setup.fixture.sandbox.environment
        environment["PYTHONPATH"] = tests.path
        let callers = try (0..<8).map { index -> (Process, Pipe, Pipe) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [tests.appendingPathComponent("mcp_call.py").path, setup.mcp.url, "readonly", tokenvaultExecutable, "python \(index)"]
            process.environment = environment
            let (out, err) = (Pipe(), Pipe())
            process.standardOutput = out
            process.standardError = err
            try process.run()
            return (process, out, err)
        }
        let client = try await setup.connect()
        #expect(try await setup.echo(client, "swift") == "swift")
        await client.disconnect()
        for (index, (process, out, err)) in callers.enumerated() {
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(errors)")
            #expect(output == "python \(index)\n")
            #expect(!output.contains(setup.fixture.accessToken) && !errors.contains(setup.fixture.accessToken))
        }
        let stats = try setup.oauth.stats()
        #expect(stats["token_requests"] as? Int == 1, "\(stats)")
        #expect(stats["refresh_grants_ok"] as? Int == 1, "\(stats)")
        let tools = try setup.mcp.stats()["tools"] as? [String: Any]
        #expect(tools?["echo"] as? Int == 9)
        #expect(try setup.unauthorized() == 0)
    }

    @Test("the example connects, lists the tools and calls one with the profile's token")
    func example() throws {
        let setup = try Setup()
        let result = try runProcess(
            builtExecutable("tokenvault-mcp-example"), ["readonly", setup.mcp.url, "echo", #"{"text":"from the example"}"#],
            environment: setup.fixture.sandbox.environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "echo\nwhoami\nfrom the example\n")
        #expect(!result.output.contains(setup.fixture.accessToken))
    }

    @Test("the example exits 20 with the sign-in command when the profile needs re-authentication")
    func exampleReauthentication() throws {
        let setup = try Setup()
        try setup.oauth.revoke(token: setup.fixture.refreshToken)
        let result = try runProcess(
            builtExecutable("tokenvault-mcp-example"), ["readonly", setup.mcp.url], environment: setup.fixture.sandbox.environment)
        #expect(result.status == 20)
        #expect(result.stderr.contains("tokenvault-mcp-example: error: profile 'readonly' needs a new sign-in"), "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault-mcp-example: hint: run 'tokenvault login readonly --server \(setup.mcp.url)'"))
        #expect(result.stdout.isEmpty)
    }
}
