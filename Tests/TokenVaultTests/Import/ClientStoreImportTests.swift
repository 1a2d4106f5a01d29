import Foundation
import Testing
@testable import TokenVault

// `import --from-client`: the token chain an MCP client keeps in plaintext, read from the client's
// own store (samples in ClientStores/, in the shapes each client writes), sealed into the vault,
// and the client's file left byte for byte as it was.

private let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ClientStores")

/// A sample store with its placeholders filled in.
private func sample(_ name: String, _ values: [String: String]) throws -> String {
    var text = try String(contentsOf: samples.appendingPathComponent(name), encoding: .utf8)
    for (key, value) in values { text = text.replacingOccurrences(of: "{{\(key)}}", with: value) }
    #expect(!text.contains("{{"), "placeholder left in \(name)")
    return text
}

private func write(_ text: String, to path: String, modified: Date? = nil) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
    if let modified { try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path) }
}

private func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// The MD5 of `text` as `md5sum` computes it: an implementation independent of tokenvault's.
private func md5sum(_ text: String) throws -> String {
    let directory = TemporaryDirectory()
    let file = directory.file("input")
    try Data(text.utf8).write(to: URL(fileURLWithPath: file))
    let result = try runProcess("/usr/bin/md5sum", [file], environment: [:])
    return String(result.stdout.prefix(32))
}

/// One client shape: where the store goes in the sandbox's HOME, and what fills it.
struct ClientShape: CustomTestStringConvertible, Sendable {
    let name: String
    let client: String
    /// Writes the store for `values` under `home`; returns the files written (the token file first).
    let place: @Sendable (_ home: String, _ values: [String: String], _ server: String) throws -> [String]
    /// Whether the store keeps only a relative expires_in (counted from the file's mtime).
    let relativeExpiry: Bool
    /// Whether the token endpoint must be discovered (the store keeps no authorization server metadata).
    var discovers = true
    var testDescription: String { name }
}

private let shapes: [ClientShape] = [
    ClientShape(name: "Inspector 2.x, credentials per issuer", client: "inspector", place: { home, values, _ in
        let path = home + "/.mcp-inspector/storage/oauth.json"
        try write(try sample("inspector-by-issuer.json", values), to: path)
        return [path]
    }, relativeExpiry: true),
    ClientShape(name: "Inspector 2.x, credentials under the server", client: "inspector", place: { home, values, _ in
        let path = home + "/.mcp-inspector/storage/oauth.json"
        try write(try sample("inspector-flat.json", values), to: path)
        return [path]
    }, relativeExpiry: true, discovers: false),
    ClientShape(name: "Inspector 2.x, persistence envelope", client: "inspector", place: { home, values, _ in
        let path = home + "/.mcp-inspector/storage/oauth.json"
        try write(try sample("inspector-envelope.json", values), to: path)
        return [path]
    }, relativeExpiry: true),
    ClientShape(name: "mcp-remote", client: "mcp-remote", place: { home, values, server in
        let hash = try md5sum(server)
        let folder = home + "/.mcp-auth/mcp-remote-0.1.38/"
        try write(try sample("mcp-remote-tokens.json", values), to: folder + hash + "_tokens.json")
        try write(try sample("mcp-remote-client-info.json", values), to: folder + hash + "_client_info.json")
        // Another server's files beside them, as mcp-remote leaves them.
        try write(#"{"access_token":"tvsecret-remote-other","token_type":"Bearer","expires_in":3600}"#, to: folder + String(repeating: "0", count: 32) + "_tokens.json")
        return [folder + hash + "_tokens.json", folder + hash + "_client_info.json"]
    }, relativeExpiry: true),
    ClientShape(name: "Claude Code", client: "claude-code", place: { home, values, _ in
        let path = home + "/.claude/.credentials.json"
        try write(try sample("claude-credentials.json", values), to: path)
        return [path]
    }, relativeExpiry: false),
]

@Suite("import --from-client")
struct ClientStoreImportTests {
    /// The sandbox, the test OAuth server, a seeded chain, and the placeholders that describe it.
    private func arrange() throws -> (Sandbox, OAuthServer, [String: String]) {
        let sandbox = try Sandbox()
        let server = try OAuthServer()
        let seeded = try server.seed()
        let values = [
            "SERVER": server.resource, "ISSUER": server.issuer, "TOKEN_ENDPOINT": server.tokenEndpoint,
            "ACCESS": try #require(seeded["access_token"] as? String), "REFRESH": try #require(seeded["refresh_token"] as? String),
            "CLIENT_ID": "tokenvault-test", "EXPIRES_AT_MS": String((Int(Date().timeIntervalSince1970) + 3000) * 1000),
        ]
        return (sandbox, server, values)
    }

    private func profile(_ sandbox: Sandbox, _ name: String) throws -> [String: Any] {
        let status = try jsonObject(try sandbox.expectSuccess(["status", "--json"]).stdout)
        let profiles = try #require(status["profiles"] as? [[String: Any]])
        return try #require(profiles.first { $0["name"] as? String == name })
    }

    @Test("each client's store is imported with its client id, the chain refreshes, and the store is left byte for byte", arguments: shapes)
    func importsEachShape(_ shape: ClientShape) throws {
        let (sandbox, server, values) = try arrange()
        let files = try shape.place(sandbox.directory.path, values, server.resource)
        let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let result = try sandbox.expectSuccess(["import", "p", "--from-client", shape.client, "--server", server.resource])
        #expect(result.stderr.contains("\(files[0]) still holds this token chain in plaintext"))
        #expect(result.stderr.contains("the next refresh rotates the refresh token"))
        #expect(result.stderr.contains("counted from the file's modification time") == shape.relativeExpiry)
        #expect(result.stderr.contains("discovered token endpoint \(server.tokenEndpoint)") == shape.discovers)
        let record = try profile(sandbox, "p")
        #expect(record["state"] as? String == "ok")
        #expect(record["client_id"] as? String == "tokenvault-test")
        #expect(record["token_endpoint"] as? String == server.tokenEndpoint)
        #expect(record["resource"] as? String == server.resource)
        #expect(record["issuer"] as? String == server.issuer)
        #expect((record["refresh_token"] as? [String: Any])?["present"] as? Bool == true)
        // The binding is right: the server accepts the refresh tokenvault now makes.
        try sandbox.expectSuccess(["refresh", "p", "--force"])
        #expect(try server.refreshTokenStatus(try #require(values["REFRESH"]))["revoked"] as? Bool == true)
        #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
    }

    @Test("without --server, a store of several chains is refused with the servers listed; --server picks one")
    func severalChains() throws {
        let (sandbox, server, values) = try arrange()
        _ = try shapes[0].place(sandbox.directory.path, values, server.resource)
        let refused = try sandbox.run(["import", "p", "--from-client", "inspector"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains(server.resource))
        #expect(refused.stderr.contains("https://other.example.com/mcp"))
        #expect(!refused.stderr.contains("https://signed-out.example.com/mcp"), "a server without tokens is no chain")
        #expect(refused.stderr.contains("--server"))
        #expect(try sandbox.profileNames().isEmpty)
        try sandbox.expectSuccess(["import", "p", "--from-client", "inspector", "--server", server.resource + "/"])
        #expect(try profile(sandbox, "p")["client_id"] as? String == "tokenvault-test")
    }

    @Test("a server the store has no chain for is refused, naming the servers it has")
    func noMatch() throws {
        let (sandbox, server, values) = try arrange()
        _ = try shapes[0].place(sandbox.directory.path, values, server.resource)
        let refused = try sandbox.run(["import", "p", "--from-client", "inspector", "--server", "https://unknown.example.com/mcp"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("no token chain for https://unknown.example.com/mcp"))
        #expect(refused.stderr.contains("https://other.example.com/mcp"))
        #expect(try sandbox.profileNames().isEmpty)
    }

    @Test("two chains for one server (Claude Code entries of two names) are refused with both listed")
    func ambiguousServer() throws {
        let (sandbox, server, values) = try arrange()
        var text = try sample("claude-credentials.json", values)
        text = text.replacingOccurrences(of: #""mcpOAuth":{"#, with: #""mcpOAuth":{"again|0000":{"serverUrl":"\#(server.resource)","clientId":"x","accessToken":"tvsecret-claude-again","expiresAt":1795801200000},"#)
        try write(text, to: sandbox.directory.file(".claude/.credentials.json"))
        let refused = try sandbox.run(["import", "p", "--from-client", "claude-code", "--server", server.resource])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("again|0000"))
        #expect(refused.stderr.contains("tokenvault-test|3f2a9c41d0b7e865"))
    }

    @Test("server URLs and entry names from a store are printed without their control characters")
    func storeTextCleaned() throws {
        let sandbox = try Sandbox()
        let entry = #"{"serverUrl":"https://evil.example.com/\u001b[2Jmcp","clientId":"c","accessToken":"tvsecret-evil","expiresAt":1795801200000}"#
        let text = #"{"mcpOAuth":{"evil\u001b]0;title\u0007|1":\#(entry),"other|2":\#(entry)}}"#
        try write(text, to: sandbox.directory.file(".claude/.credentials.json"))
        let refused = try sandbox.run(["import", "p", "--from-client", "claude-code"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("https://evil.example.com/"))
        #expect(!refused.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(refused.stderr.debugDescription)")
    }

    @Test("mcp-remote without --server is refused: its files are named only by the URL's hash")
    func mcpRemoteNeedsServer() throws {
        let (sandbox, server, values) = try arrange()
        _ = try shapes[3].place(sandbox.directory.path, values, server.resource)
        let refused = try sandbox.run(["import", "p", "--from-client", "mcp-remote"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("hash of the server URL"))
        #expect(refused.stderr.contains("_tokens.json"))
    }

    @Test("each client's own override of its store's path is honoured", arguments: [
        ("inspector", "MCP_INSPECTOR_OAUTH_STATE_PATH", "elsewhere/state.json"),
        ("inspector", "MCP_STORAGE_DIR", "storage-dir"),
        ("mcp-remote", "MCP_REMOTE_CONFIG_DIR", "auth-dir"),
        ("claude-code", "CLAUDE_CONFIG_DIR", "claude-dir"),
    ])
    func overrides(client: String, variable: String, relative: String) throws {
        let (sandbox, server, values) = try arrange()
        let target = sandbox.directory.file(relative)
        switch variable {
        case "MCP_INSPECTOR_OAUTH_STATE_PATH": try write(try sample("inspector-flat.json", values), to: target)
        case "MCP_STORAGE_DIR": try write(try sample("inspector-flat.json", values), to: target + "/oauth.json")
        case "MCP_REMOTE_CONFIG_DIR":
            try write(try sample("mcp-remote-tokens.json", values), to: target + "/mcp-remote-v1/" + (try md5sum(server.resource)) + "_tokens.json")
            try write(try sample("mcp-remote-client-info.json", values), to: target + "/mcp-remote-v1/" + (try md5sum(server.resource)) + "_client_info.json")
        default: try write(try sample("claude-credentials.json", values), to: target + "/.credentials.json")
        }
        let missing = try sandbox.run(["import", "p", "--from-client", client, "--server", server.resource])
        #expect(missing.status == 19, "nothing at the default path: \(missing.stderr)")
        try sandbox.expectSuccess(["import", "p", "--from-client", client, "--server", server.resource], environment: [variable: target])
        #expect(try profile(sandbox, "p")["client_id"] as? String == "tokenvault-test")
    }

    @Test("a relative expires_in counts from the store's modification time, and the output says so")
    func expiryFromModificationTime() throws {
        let (sandbox, server, values) = try arrange()
        let modified = Date(timeIntervalSince1970: TimeInterval(Int(Date().timeIntervalSince1970) - 600))
        try write(try sample("inspector-flat.json", values), to: sandbox.directory.file(".mcp-inspector/storage/oauth.json"), modified: modified)
        let result = try sandbox.expectSuccess(["import", "p", "--from-client", "inspector", "--server", server.resource, "--json"])
        let mtime = Int(modified.timeIntervalSince1970)
        #expect(try jsonObject(result.stdout)["access_token_expires_at"] as? Int == mtime + 3600)
        #expect(result.stderr.contains("counted from the file's modification time, \(ISO8601.format(Int64(mtime)))"))
        #expect((try profile(sandbox, "p")["access_token"] as? [String: Any])?["expires_at"] as? Int == mtime + 3600)
    }

    @Test("a store the client rewrites while the import waits for the vault (a refresh) imports nothing: exit 17")
    func storeRewrittenMeanwhile() throws {
        let sandbox = try Sandbox()
        let values = [
            "SERVER": "https://mcp.example.com/mcp", "ISSUER": "https://auth.example.com", "TOKEN_ENDPOINT": "https://auth.example.com/token",
            "ACCESS": "\(secretMarker)-first-access", "REFRESH": "\(secretMarker)-first-refresh", "CLIENT_ID": "client",
        ]
        let path = sandbox.directory.file(".mcp-inspector/storage/oauth.json")
        try write(try sample("inspector-flat.json", values), to: path)
        var refreshed = values
        refreshed["REFRESH"] = "\(secretMarker)-second-refresh"
        let release = try sandbox.holdWriterLock()
        let run = BackgroundRun(["import", "p", "--from-client", "inspector"], environment: sandbox.environment, in: sandbox.directory)
        let waiting = run.waitUntilOpen(sandbox.vault + ".lock")
        // Written as mcp-remote and Inspector write: a new file renamed over the old one.
        try write(try sample("inspector-flat.json", refreshed), to: path + ".tmp")
        #expect(rename(path + ".tmp", path) == 0)
        release()
        let result = try run.wait()
        #expect(waiting, "the import never opened the lock file")
        #expect(!result.output.contains(secretMarker))
        #expect(result.status == 17, "\(result.output)")
        #expect(result.stderr.contains("tokenvault: error: \(path) changed after it was read"), "\(result.stderr)")
        #expect(try sandbox.profileNames().isEmpty)
    }

    @Test("--remove-plaintext with --from-client is a usage error that says why")
    func noRemoval() throws {
        let sandbox = try Sandbox()
        let refused = try sandbox.run(["import", "p", "--from-client", "inspector", "--remove-plaintext"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("never changes another program's files"))
    }

    @Test("a copy of a store given with --from is read instead of the client's own")
    func copyOfStore() throws {
        let (sandbox, server, values) = try arrange()
        let copy = sandbox.directory.file("copy.json")
        try write(try sample("claude-credentials.json", values), to: copy)
        let result = try sandbox.expectSuccess(["import", "p", "--from-client", "claude-code", "--from", copy])
        #expect(result.stderr.contains("\(copy) still holds this token chain"))
        let record = try profile(sandbox, "p")
        #expect(record["resource"] as? String == server.resource)
        // Claude Code writes expiresAt in milliseconds.
        #expect((record["access_token"] as? [String: Any])?["expires_at"] as? Int == Int(try #require(values["EXPIRES_AT_MS"]))! / 1000)
    }

    @Test("mcp-remote's file name is the MD5 of the server URL, as md5sum computes it", arguments: [
        "", "https://mcp.atlassian.com/v1/mcp", "http://127.0.0.1:8080/mcp",
        String(repeating: "https://example.com/a-long-path/", count: 5),
    ])
    func mcpRemoteHash(url: String) throws {
        #expect(MCPRemoteHash.of(url) == (try md5sum(url)))
    }
}
