import Foundation
import SystemPackage
import Testing
@testable import TokenVault

@Suite("endpoint URL rules")
struct EndpointURLTests {
    @Test("URLs a resolver, a terminal or libcurl could read otherwise are refused", arguments: [
        "http://127.0.0.08/token", "http://127.0.0.099/token", "http://127.08.0.1/token", "http://127.1/token",
        "http://0x7f.0.0.1/token", "http://2130706433/token", "https://0177.0.0.1/token", "https://10.0.0.01/token",
        "https://a.example.com:+443/token", "https://a.example.com:0443/token", "https://a.example.com:/token",
        "https://a.example.com:65536/token", "https://a.example.com:44a/token",
        "https://a.example .com/token", "https://a.example.com/to ken", "https://a.example.com/t\u{1b}]0;x\u{7}",
        "https://a.example.com/t\u{0}", "https://a.example.com/t\u{7f}", "https://a.example.com/t\u{85}",
        "https://a.example.com\\@b.example/token", "https://a.example.com/t\\x", "https://bücher.example/token",
        "https://a.example.com/t\u{202e}x", "http://[::1%25lo]/token", "http://[::1/token", "https://a..example/token",
        "https://a.example.com./token", "https://a_b.example%2ecom/token",
    ])
    func refused(_ url: String) {
        #expect((try? EndpointURL(url)) == nil, "accepted \(url.debugDescription)")
    }

    @Test("canonical addresses and plain host names are accepted", arguments: [
        ("http://127.0.0.1:8080/token", true), ("http://127.0.0.10/token", true), ("http://127.255.0.100/t", true),
        ("http://[::1]:8080/token", true), ("http://[0:0:0:0:0:0:0:1]/token", true), ("http://localhost:9/token", true),
        ("http://LOCALHOST/token", true), ("https://a.example.com/token?x=1&y=%2F", false), ("https://10.0.0.1/token", false),
        ("https://[2001:db8::1]:8443/token", false), ("HTTPS://Auth.Example.COM:443/oauth/token", false),
    ])
    func accepted(_ url: String, loopback: Bool) throws {
        let parsed = try EndpointURL(url)
        #expect(parsed.isLoopback == loopback)
    }

    @Test("a stored endpoint whose loopback spelling libcurl would resolve by name is refused before anything is sent",
          arguments: ["http://127.0.0.08:{port}/token", "http://127.000.0.1:{port}/token", "http://127.0.0.1:+{port}/token"])
    func storedEndpointRefused(_ template: String) throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(secretMarker)-new"}"#)])
        let sandbox = try Sandbox()
        let endpoint = template.replacingOccurrences(of: "{port}", with: "\(server.port)")
        // An older vault, written before the rule: the command must not trust what it reads.
        let store = VaultStore(location: VaultLocation(path: FilePath(sandbox.vault)), keys: try KeyRing.load(keyfile: FilePath(sandbox.keyfile)))
        try store.update { profiles, _ in
            profiles["p"] = TokenProfile(
                accessToken: Secret(copying: "\(secretMarker)-old"), refreshToken: Secret(copying: "\(secretMarker)-refresh"),
                expiresAt: 1, importedAt: 1, binding: RefreshBinding(tokenEndpoint: endpoint, clientID: "c"))
        }
        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 22, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("tokenvault: error: the token endpoint of profile 'p' refused the request"))
        #expect(server.requests.isEmpty)
    }

    @Test("import refuses odd URLs in every URL flag", arguments: [
        ["--token-endpoint", "https://a.example.com:+443/token"],
        ["--token-endpoint", "http://127.0.0.08/token"],
        ["--token-endpoint", "https://a.example.com/token", "--resource", "https://m.example.com/m cp"],
        ["--token-endpoint", "https://a.example.com/token", "--issuer", "https://a.example.com\u{1b}[2J"],
        ["--server", "https://m.example.com:0443/mcp"],
    ])
    func importFlagsRefused(_ flags: [String]) throws {
        let sandbox = try Sandbox()
        let json = #"{"access_token":"\#(secretMarker)-a","refresh_token":"\#(secretMarker)-r","expires_in":60}"#
        let result = try sandbox.run(["import", "p", "--client-id", "c"] + flags, stdin: json)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(!result.stderr.contains("\u{1b}"))
        #expect(try sandbox.profileNames().isEmpty)
    }

    @Test("a localhost endpoint is reached on the loopback interface")
    func localhostReached() throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(secretMarker)-new","expires_in":3600}"#)])
        let sandbox = try Sandbox()
        let json = #"{"access_token":"\#(secretMarker)-old","refresh_token":"\#(secretMarker)-r","expires_in":-10}"#
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", "http://localhost:\(server.port)/token", "--client-id", "c"], stdin: json)
        let result = try sandbox.run(["token", "p"], environment: ["http_proxy": "http://192.0.2.1:9", "all_proxy": "http://192.0.2.1:9"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(secretMarker)-new\n")
        #expect(server.requests.count == 1)
    }
}
