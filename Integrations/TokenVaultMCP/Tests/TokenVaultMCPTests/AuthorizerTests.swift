import Foundation
import Testing
import TokenVault
import TokenVaultMCP

/// The authorizer driven as `HTTPClientTransport` drives it (prepare, header, and the 401 path
/// from the same task), over a real vault and the real authorization server.
@Suite("TokenVaultAuthorizer against the real authorization server", .serialized)
struct AuthorizerTests {
    static let endpoint = URL(string: "http://127.0.0.1:9/mcp")!

    @Test("the header carries the vault's token, and a valid token costs no refresh")
    func validToken() async throws {
        let fixture = try VaultFixture(server: try OAuthServer())
        try await fixture.authorizer.prepareAuthorization(for: Self.endpoint, session: unusedSession)
        #expect(fixture.authorizer.authorizationHeader(for: Self.endpoint) == "Bearer " + fixture.accessToken)
        #expect(try fixture.refreshes() == 0)
    }

    @Test("an expired token is refreshed once before the request, and the new one is accepted")
    func expiredToken() async throws {
        let fixture = try VaultFixture(server: try OAuthServer(), accessLifetime: -5)
        try await fixture.authorizer.prepareAuthorization(for: Self.endpoint, session: unusedSession)
        let token = try #require(bearerToken(fixture.authorizer.authorizationHeader(for: Self.endpoint)))
        #expect(token != fixture.accessToken)
        #expect(try fixture.server.resourceAccepts(token))
        #expect(try fixture.refreshes() == 1)
    }

    @Test("a 401 refreshes once and the retry presents the new token; a second 401 of that request is rejectedAgain, with no second refresh")
    func rejectedToken() async throws {
        let fixture = try VaultFixture(server: try OAuthServer())
        let authorizer = fixture.authorizer
        try await authorizer.prepareAuthorization(for: Self.endpoint, session: unusedSession)
        _ = authorizer.authorizationHeader(for: Self.endpoint)
        try fixture.expireAtServer(fixture.accessToken)

        let retry = try await authorizer.handleChallenge(
            statusCode: 401, headers: ["WWW-Authenticate": "Bearer error=\"invalid_token\""], endpoint: Self.endpoint,
            operationKey: "tools/call", session: unusedSession)
        #expect(retry)
        let fresh = try #require(bearerToken(authorizer.authorizationHeader(for: Self.endpoint)))
        #expect(fresh != fixture.accessToken)
        #expect(try fixture.server.resourceAccepts(fresh))
        #expect(try fixture.refreshes() == 1)

        await #expect(throws: TokenVaultMCPError.rejectedAgain(profile: "readonly", server: Self.endpoint)) {
            try await authorizer.handleChallenge(
                statusCode: 401, headers: [:], endpoint: Self.endpoint, operationKey: "tools/call", session: unusedSession)
        }
        #expect(try fixture.refreshes() == 1)
    }

    @Test("a request that presented a token another request's 401 already replaced gets the new token without a refresh")
    func concurrentRejections() async throws {
        let fixture = try VaultFixture(server: try OAuthServer())
        let authorizer = fixture.authorizer
        try await authorizer.prepareAuthorization(for: Self.endpoint, session: unusedSession)
        try fixture.expireAtServer(fixture.accessToken)
        let endpoint = Self.endpoint

        // Two requests, each from its own task as the transport sends them, present the old token.
        let (bothPresented, presentedSignal) = AsyncStream.makeStream(of: Void.self)
        let (firstDone, firstDoneSignal) = AsyncStream.makeStream(of: Void.self)
        let first = Task {
            _ = authorizer.authorizationHeader(for: endpoint)
            presentedSignal.yield()
            for await _ in bothPresented { break }
            let retry = try await authorizer.handleChallenge(
                statusCode: 401, headers: [:], endpoint: endpoint, operationKey: nil, session: unusedSession)
            firstDoneSignal.finish()
            return retry
        }
        let second = Task {
            let header = authorizer.authorizationHeader(for: endpoint)
            presentedSignal.yield()
            for await _ in firstDone {}
            let retry = try await authorizer.handleChallenge(
                statusCode: 401, headers: [:], endpoint: endpoint, operationKey: nil, session: unusedSession)
            return (header, retry)
        }
        #expect(try await first.value)
        let (secondHeader, secondRetry) = try await second.value
        #expect(bearerToken(secondHeader) == fixture.accessToken)
        #expect(secondRetry)
        #expect(try fixture.refreshes() == 1)
    }

    @Test("a revoked refresh token makes the 401 a re-authentication error naming the profile and tokenvault login, and status says so")
    func revokedRefreshToken() async throws {
        let fixture = try VaultFixture(server: try OAuthServer())
        let authorizer = fixture.authorizer
        try await authorizer.prepareAuthorization(for: Self.endpoint, session: unusedSession)
        _ = authorizer.authorizationHeader(for: Self.endpoint)
        try fixture.server.revoke(token: fixture.refreshToken)
        #expect(try !fixture.server.resourceAccepts(fixture.accessToken), "revoking the refresh token revokes its access token")

        let expected = TokenVaultMCPError.reauthenticationRequired(profile: "readonly", server: Self.endpoint)
        await #expect(throws: expected) {
            try await authorizer.handleChallenge(
                statusCode: 401, headers: [:], endpoint: Self.endpoint, operationKey: "tools/call", session: unusedSession)
        }
        #expect(expected.description.contains("tokenvault login readonly --server http://127.0.0.1:9/mcp"))
        #expect(try fixture.status()["reauth_required"] as? Bool == true)
    }

    @Test("a profile the vault does not hold sends no token, and its 401 brings the vault's error")
    func missingProfile() async throws {
        let server = try OAuthServer()
        let fixture = try VaultFixture(server: server)
        let authorizer = try TokenVaultAuthorizer(profile: "absent", vault: fixture.sandbox.vault, keyfile: fixture.sandbox.keyfile)
        await #expect(throws: TokenVaultMCPError.self) {
            try await authorizer.prepareAuthorization(for: Self.endpoint, session: unusedSession)
        }
        #expect(authorizer.authorizationHeader(for: Self.endpoint) == nil)
        do {
            _ = try await authorizer.handleChallenge(
                statusCode: 401, headers: [:], endpoint: Self.endpoint, operationKey: nil, session: unusedSession)
            Issue.record("a 401 without a token was retried")
        } catch let error as TokenVaultMCPError {
            guard case .tokenUnavailable(let profile, let detail) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(profile == "absent")
            #expect(detail.contains("absent"))
            #expect(error.hint.contains("tokenvault status absent"))
        }
    }

    @Test("plain http to another host is refused before any token is fetched, naming the address")
    func insecureEndpoint() async throws {
        let fixture = try VaultFixture(server: try OAuthServer())
        let url = URL(string: "http://mcp.example.com/mcp")!
        #expect(throws: TokenVaultMCPError.insecureEndpoint(server: url)) {
            try fixture.authorizer.validateEndpointSecurity(for: url)
        }
        #expect(TokenVaultMCPError.insecureEndpoint(server: url).description.contains("http://mcp.example.com/mcp"))
        try fixture.authorizer.validateEndpointSecurity(for: Self.endpoint)
    }

    @Test("a 403 is a scope problem: no refresh, an error naming the profile")
    func forbidden() async throws {
        let fixture = try VaultFixture(server: try OAuthServer())
        try await fixture.authorizer.prepareAuthorization(for: Self.endpoint, session: unusedSession)
        _ = fixture.authorizer.authorizationHeader(for: Self.endpoint)
        await #expect(throws: TokenVaultMCPError.forbidden(profile: "readonly", server: Self.endpoint)) {
            try await fixture.authorizer.handleChallenge(
                statusCode: 403, headers: ["WWW-Authenticate": "Bearer error=\"insufficient_scope\""], endpoint: Self.endpoint,
                operationKey: nil, session: unusedSession)
        }
        #expect(try fixture.refreshes() == 0)
    }
}
