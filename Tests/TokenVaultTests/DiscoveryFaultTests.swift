import Foundation
import Testing

@Suite("discovery faults")
struct DiscoveryFaultTests {
    let tokens = #"{"access_token":"\#(secretMarker)-a","refresh_token":"\#(secretMarker)-r","expires_in":60,"client_id":"c"}"#

    @Test("protected resource metadata that names a resource on another origin is refused, and nothing is imported")
    func foreignResource() throws {
        let server = try FaultServer([
            .respond(status: 404, body: "not here"),
            FaultServer.json(200, #"{"resource":"https://other.example.com/mcp","authorization_servers":["https://other.example.com"]}"#),
        ])
        let sandbox = try Sandbox()
        let result = try sandbox.run(["import", "p", "--server", "http://127.0.0.1:\(server.port)/mcp"], stdin: tokens)
        #expect(result.status == 22)
        #expect(result.stderr.contains("is not on http://127.0.0.1:\(server.port)"))
        #expect(result.stderr.contains("tokenvault: hint: pass --token-endpoint URL"))
        #expect(try sandbox.profileNames().isEmpty)
    }

    @Test("a server without OAuth metadata is reported with exit 22 after trying the well-known paths")
    func noMetadata() throws {
        let server = try FaultServer([.respond(status: 404, body: "")])
        let sandbox = try Sandbox()
        let result = try sandbox.run(["import", "p", "--server", "http://127.0.0.1:\(server.port)/mcp"], stdin: tokens)
        #expect(result.status == 22)
        #expect(result.stderr.contains("found no protected resource metadata"))
        let paths = server.requests.map(\.path)
        #expect(paths.contains("/.well-known/oauth-protected-resource/mcp"))
        #expect(paths.contains("/.well-known/oauth-protected-resource"))
    }

    @Test("--server and --token-endpoint are exclusive, and one of them is required")
    func exclusive() throws {
        let sandbox = try Sandbox()
        let both = try sandbox.run(["import", "p", "--server", "https://m.example.com/mcp", "--token-endpoint", "https://a.example.com/t"], stdin: tokens)
        #expect(both.status == 64)
        let neither = try sandbox.run(["import", "p", "--client-id", "c"], stdin: tokens)
        #expect(neither.status == 64)
    }
}
