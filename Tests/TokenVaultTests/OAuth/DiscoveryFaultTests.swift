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

    /// Metadata documents with terminal escapes in what discovery quotes or stores; `{origin}` is
    /// the fault server's own origin.
    static let hostileMetadata: [(String, String)] = [
        ("an escape sequence in token_endpoint", #"{"issuer":"{origin}","token_endpoint":"{origin}/t\u001b]0;pwned\u0007\u001b[2J"}"#),
        ("a newline in token_endpoint", #"{"issuer":"{origin}","token_endpoint":"{origin}/t\nfake: line"}"#),
        ("an odd port in token_endpoint", #"{"issuer":"{origin}","token_endpoint":"https://a.example.com:+443/t"}"#),
        ("an escape sequence in a mismatched issuer", #"{"issuer":"{origin}\u001b[31m\u009b2J","token_endpoint":"{origin}/t"}"#),
    ]

    @Test("metadata with control characters or odd ports is refused, and nothing of it reaches the terminal raw", arguments: hostileMetadata)
    func hostileMetadataRefused(_ metadata: (name: String, json: String)) throws {
        let server = try FaultServer { port in
            let origin = "http://127.0.0.1:\(port)"
            return [
                .respond(status: 404, body: ""),
                FaultServer.json(200, #"{"resource":"\#(origin)/mcp","authorization_servers":["\#(origin)"]}"#),
                FaultServer.json(200, metadata.json.replacingOccurrences(of: "{origin}", with: origin)),
            ]
        }
        let sandbox = try Sandbox()
        let result = try sandbox.run(["import", "p", "--server", "http://127.0.0.1:\(server.port)/mcp"], stdin: tokens)
        #expect(result.status == 22, "\(metadata.name): \(result.stderr)")
        #expect(result.stderr.contains("refusing the metadata at http://127.0.0.1:\(server.port)/.well-known/oauth-authorization-server"))
        #expect(!result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) },
                "\(metadata.name): \(result.stderr.debugDescription)")
        #expect(result.stderr.split(separator: "\n").count == 2, "\(metadata.name): \(result.stderr.debugDescription)")
        #expect(try sandbox.profileNames().isEmpty)
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
