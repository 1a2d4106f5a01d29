import Foundation
import Testing

/// django-oauth-toolkit on loopback (Tests/OAuthServer/server.py), started in a venv that
/// `scripts/test` prepares and names in TOKENVAULT_TEST_PYTHON. Rotating refresh tokens with
/// reuse protection on: presenting a spent refresh token revokes the whole family.
final class OAuthServer: @unchecked Sendable {
    let directory = TemporaryDirectory()
    private(set) var port = 0
    private var process: Process?
    let python: String
    let accessLifetime: Int

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    init(accessLifetime: Int = 3600, sourceLocation: SourceLocation = #_sourceLocation) throws {
        python = try #require(
            ProcessInfo.processInfo.environment["TOKENVAULT_TEST_PYTHON"],
            "run the suite with scripts/test, which sets TOKENVAULT_TEST_PYTHON to the venv with django-oauth-toolkit",
            sourceLocation: sourceLocation
        )
        self.accessLifetime = accessLifetime
        try start()
    }

    deinit { stop() }

    var issuer: String { "http://127.0.0.1:\(port)" }
    var tokenEndpoint: String { issuer + "/o/token/" }
    var resource: String { issuer + "/mcp" }

    /// Starts the server (again, on the same port and database after `stop`).
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            Self.repositoryRoot.appendingPathComponent("Tests/OAuthServer/server.py").path,
            "--db", directory.file("oauth.sqlite3"), "--port", String(port),
            "--access-lifetime", String(accessLifetime), "--watch-parent",
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
        port = try Self.readyPort(of: process, from: out)
    }

    /// The port in the `READY <port>` line a test server prints first on `out` (this one, the
    /// MCP server); a server that prints anything else is stopped.
    static func readyPort(of process: Process, from out: Pipe) throws -> Int {
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("READY "), let ready = Int(text.dropFirst(6)) else {
            process.terminate()
            throw ServerError.didNotStart(text)
        }
        return ready
    }

    func stop() {
        guard let process else { return }
        Self.stop(process)
        self.process = nil
    }

    /// Ends a test server (this one, the MCP server): SIGTERM, then SIGKILL after 5 s.
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<50 where process.isRunning { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    enum ServerError: Error { case didNotStart(String), badReply(String) }

    /// A fresh token pair in MCP Inspector's "Access Tokens" shape (plus client_id etc.).
    func seed(accessLifetime: Int? = nil, clientID: String = "tokenvault-test", confidential: Bool = false) throws -> [String: Any] {
        var body: [String: Any] = ["client_id": clientID, "confidential": confidential]
        if let accessLifetime { body["access_lifetime"] = accessLifetime }
        return try call("POST", "/test/seed", body: body)
    }

    func seedJSON(accessLifetime: Int? = nil, clientID: String = "tokenvault-test") throws -> String {
        let seeded = try seed(accessLifetime: accessLifetime, clientID: clientID)
        return String(decoding: try JSONSerialization.data(withJSONObject: seeded), as: UTF8.self)
    }

    func stats() throws -> [String: Any] { try call("GET", "/test/stats") }
    /// Makes the next `count` token requests fail with `status` and `error`, touching no token.
    func failNext(count: Int = 1, status: Int, error: String) throws {
        _ = try call("POST", "/test/fail-next", body: ["count": count, "status": status, "error": error])
    }
    /// Makes every dynamic client registration fail with `error` (nil accepts again).
    func refuseRegistration(_ error: String?) throws { _ = try call("POST", "/test/registration", body: ["refuse": error ?? NSNull()]) }
    /// What the authorization server metadata lists as `code_challenge_methods_supported`.
    func advertiseCodeChallengeMethods(_ methods: [String]) throws { _ = try call("POST", "/test/metadata", body: ["code_challenge_methods": methods]) }
    func setDelay(milliseconds: Int) throws { _ = try call("POST", "/test/delay", body: ["delay_ms": milliseconds]) }
    func resetStats() throws { _ = try call("POST", "/test/stats/reset", body: [:]) }

    func refreshTokenStatus(_ token: String) throws -> [String: Any] {
        let query = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
        return try call("GET", "/test/token-status?refresh_token=\(query)")
    }

    /// Whether the protected resource accepts `token` (200) or not (401).
    func resourceAccepts(_ token: String) throws -> Bool {
        let result = try runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-K", "-", resource],
                                    environment: [:], stdin: "header = \"Authorization: Bearer \(token)\"\n")
        return result.stdout == "200"
    }

    /// Revokes `token` (an access or a refresh token) at the RFC 7009 endpoint, as the app's admin would.
    func revoke(token: String, clientID: String = "tokenvault-test") throws {
        let result = try runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "@-",
                                                      issuer + "/o/revoke_token/"], environment: [:],
                                    stdin: "client_id=\(clientID)&token=\(token)")
        guard result.stdout == "200" else { throw ServerError.badReply("revoke: HTTP \(result.stdout) \(result.stderr)") }
    }

    /// Ends the access token's life at the server (`/test/expire`) while the vault still counts it
    /// valid: resource servers refuse it (introspection says inactive) and its refresh token stays
    /// usable, as after a server-side revocation of the access token alone. (RFC 7009 revocation of
    /// an access token, `revoke(token:)`, revokes its refresh token too in django-oauth-toolkit.)
    func invalidateAccessToken(_ token: String) throws {
        let reply = try call("POST", "/test/expire", body: ["access_token": token])
        guard reply["ok"] as? Bool == true else { throw ServerError.badReply("/test/expire: \(reply)") }
    }

    /// A confidential client a resource server introspects tokens with (RFC 7662), and where.
    func resourceServerClient() throws -> (clientID: String, clientSecret: String, introspectionEndpoint: String) {
        let reply = try call("POST", "/test/resource-server", body: [:])
        guard let id = reply["client_id"] as? String, let secret = reply["client_secret"] as? String,
              let endpoint = reply["introspection_endpoint"] as? String else {
            throw ServerError.badReply("/test/resource-server: \(reply)")
        }
        return (id, secret, endpoint)
    }

    /// Spends a refresh token directly, as another client (MCP Inspector) would.
    func spend(refreshToken: String, clientID: String = "tokenvault-test") throws -> [String: Any] {
        let result = try runProcess("/usr/bin/curl", ["-s", "--data-binary", "@-", tokenEndpoint], environment: [:],
                                    stdin: "grant_type=refresh_token&client_id=\(clientID)&refresh_token=\(refreshToken)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    private func call(_ method: String, _ path: String, body: [String: Any]? = nil) throws -> [String: Any] {
        var arguments = ["-s", "-X", method, issuer + path]
        var stdin: String?
        if let body {
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
            stdin = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        }
        let result = try runProcess("/usr/bin/curl", arguments, environment: [:], stdin: stdin)
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw ServerError.badReply("\(method) \(path): \(result.stdout) \(result.stderr)")
        }
        return object
    }
}
