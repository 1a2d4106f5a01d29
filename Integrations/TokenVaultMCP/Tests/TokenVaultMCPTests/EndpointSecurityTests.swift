import Foundation
import Testing
@testable import TokenVaultMCP

@Suite("which MCP server addresses get a bearer token")
struct EndpointSecurityTests {
    @Test("https anywhere and plain http on loopback are allowed", arguments: [
        "https://mcp.example.com/mcp", "https://10.0.0.5:8443/mcp", "http://127.0.0.1:8000/mcp",
        "http://127.4.5.6/mcp", "http://localhost:3000/mcp", "http://LOCALHOST/mcp", "http://[::1]:8000/mcp",
    ])
    func allowed(address: String) {
        #expect(EndpointSecurity.allowsBearerToken(to: URL(string: address)!))
    }

    @Test("plain http off loopback, look-alike hosts and other schemes are refused", arguments: [
        "http://mcp.example.com/mcp", "http://10.0.0.5/mcp", "http://127.0.0.1.example.com/mcp",
        "http://127.0.0.256/mcp", "http://localhost.example.com/mcp", "http://[::2]/mcp", "ftp://127.0.0.1/mcp",
        "ws://127.0.0.1/mcp",
    ])
    func refused(address: String) {
        #expect(!EndpointSecurity.allowsBearerToken(to: URL(string: address)!))
    }
}
