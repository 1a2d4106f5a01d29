import Foundation
import Testing

/// A real MCP server on loopback (Tests/MCPServer/server.py, the official `mcp` Python SDK) that
/// checks every bearer token at an `OAuthServer` by token introspection, asking afresh each time:
/// a token revoked or expired there is refused with 401 and `WWW-Authenticate` on the next request.
/// Tools: `echo(text)` and `whoami()`. Counters at `/test/stats`.
final class MCPServer: @unchecked Sendable {
    private(set) var port = 0
    private var process: Process?
    let authorizationServer: OAuthServer
    /// Whether POSTs are answered with application/json rather than an SSE stream: the MCP Swift
    /// SDK's HTTP transport reads no SSE on Linux.
    let jsonResponse: Bool

    init(authorizationServer: OAuthServer, jsonResponse: Bool = false) throws {
        self.authorizationServer = authorizationServer
        self.jsonResponse = jsonResponse
        try start()
    }

    deinit { stop() }

    var origin: String { "http://127.0.0.1:\(port)" }
    /// The MCP endpoint (streamable HTTP), also the protected resource's identifier.
    var url: String { origin + "/mcp" }
    var resourceMetadataURL: String { origin + "/.well-known/oauth-protected-resource/mcp" }

    func start() throws {
        let client = try authorizationServer.resourceServerClient()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: authorizationServer.python)
        process.arguments = [
            OAuthServer.repositoryRoot.appendingPathComponent("Tests/MCPServer/server.py").path,
            "--port", String(port), "--introspect", client.introspectionEndpoint,
            "--client-id", client.clientID, "--client-secret-stdin", "--watch-parent",
        ] + (jsonResponse ? ["--json-response"] : [])
        let out = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardInput = input
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
        input.fileHandleForWriting.write(Data((client.clientSecret + "\n").utf8))
        try input.fileHandleForWriting.close()
        port = try OAuthServer.readyPort(of: process, from: out)
    }

    func stop() {
        guard let process else { return }
        OAuthServer.stop(process)
        self.process = nil
    }

    /// `{"requests", "unauthorized", "authorized", "introspections", "tool_calls", "tools": {name: count}}`.
    func stats() throws -> [String: Any] {
        let result = try runProcess("/usr/bin/curl", ["-s", origin + "/test/stats"], environment: [:])
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw OAuthServer.ServerError.badReply("/test/stats: \(result.stdout) \(result.stderr)")
        }
        return object
    }

    /// What the server answers an MCP `initialize` sent with `token` (none: no Authorization header):
    /// the HTTP status, the `WWW-Authenticate` header and the body. The token travels on curl's stdin.
    func initialize(bearer token: String?) throws -> (status: Int, wwwAuthenticate: String?, body: String) {
        let message = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","#
            + #""capabilities":{},"clientInfo":{"name":"tokenvault-tests","version":"1"}}}"#
        var config = """
            header = "Content-Type: application/json"
            header = "Accept: application/json, text/event-stream"
            data = "\(message.replacingOccurrences(of: "\"", with: "\\\""))"

            """
        if let token { config += "header = \"Authorization: Bearer \(token)\"\n" }
        let result = try runProcess("/usr/bin/curl", ["-s", "-i", "-K", "-", url], environment: [:], stdin: config)
        let parts = result.stdout.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw OAuthServer.ServerError.badReply("initialize: \(result.stdout) \(result.stderr)")
        }
        let challenge = lines.first { $0.lowercased().hasPrefix("www-authenticate:") }
            .map { String($0.dropFirst("www-authenticate:".count)).trimmingCharacters(in: .whitespaces) }
        return (status, challenge, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
