import Foundation
import Testing

@Suite("MCPServer, the test fixture for a protected MCP server", .serialized)
struct MCPServerSelfTests {
    @Test("a token the authorization server issued is accepted and answers initialize")
    func seededTokenAccepted() throws {
        let oauth = try OAuthServer()
        let mcp = try MCPServer(authorizationServer: oauth)
        let token = try #require(try oauth.seed()["access_token"] as? String)
        let answer = try mcp.initialize(bearer: token)
        #expect(answer.status == 200)
        #expect(answer.body.contains(#""serverInfo":{"name":"tokenvault-test-mcp""#))
        let stats = try mcp.stats()
        #expect(stats["authorized"] as? Int == 1)
        #expect(stats["introspections"] as? Int == 1)
    }

    @Test("a bogus token, no token, and a revoked token get 401 with the resource metadata challenge",
          arguments: ["bogus", "none", "revoked"])
    func refused(_ kind: String) throws {
        let oauth = try OAuthServer()
        let mcp = try MCPServer(authorizationServer: oauth)
        let seeded = try #require(try oauth.seed()["access_token"] as? String)
        let token: String?
        switch kind {
        case "bogus": token = "not-a-token-the-server-issued"
        case "revoked":
            #expect(try mcp.initialize(bearer: seeded).status == 200)
            try oauth.revoke(token: seeded)
            token = seeded
        default: token = nil
        }
        let answer = try mcp.initialize(bearer: token)
        #expect(answer.status == 401)
        let challenge = try #require(answer.wwwAuthenticate)
        #expect(challenge.hasPrefix("Bearer "))
        #expect(challenge.contains(#"error="invalid_token""#))
        #expect(challenge.contains(#"resource_metadata="\#(mcp.resourceMetadataURL)""#))
        #expect(try mcp.stats()["unauthorized"] as? Int == 1)
    }

    @Test("the protected resource metadata names the resource and the authorization server")
    func resourceMetadata() throws {
        let oauth = try OAuthServer()
        let mcp = try MCPServer(authorizationServer: oauth)
        for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"] {
            let result = try runProcess("/usr/bin/curl", ["-s", mcp.origin + path], environment: [:])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(document["resource"] as? String == mcp.url)
            #expect(document["authorization_servers"] as? [String] == [oauth.issuer])
        }
    }
}
