import Foundation
import Testing

/// `tokenvault login` against the real django-oauth-toolkit server (Tests/OAuthServer/server.py),
/// with Tests/Harness/browser.py as the browser: signed in as the server's test user, it follows
/// the authorization address tokenvault opens to the loopback listener, or tampers with the
/// redirect as a test asks. tokenvault's side is the real command.
@Suite("login: the authorization code flow against a real authorization server", .serialized)
struct LoginFlowTests {
    /// A sandbox, a server and a browser that behaves as `mode` says.
    final class Fixture {
        let sandbox: Sandbox
        let server: OAuthServer
        var report: String { sandbox.directory.file("browser-report") }

        init() throws {
            sandbox = try Sandbox()
            server = try OAuthServer()
        }

        var serverURL: String { server.resource }

        /// `BROWSER` set to browser.py in `mode`.
        func browser(_ mode: String) throws -> [String: String?] {
            let path = sandbox.directory.file("browser-\(mode).sh")
            let script = "#!/bin/sh\nexec '\(Harness.python)' '\(Harness.script("browser.py"))' \(mode) '\(report)' \"$@\"\n"
            try #require(FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o700]))
            return ["BROWSER": path]
        }

        /// What the browser met at the loopback listener, one entry a request.
        func visits() -> [[String: Any]] {
            let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        /// `tokenvault login PROFILE --server URL` with `extra` (a minute to sign in, unless told).
        func login(_ profile: String, _ extra: [String] = [], mode: String = "allow") throws -> RunResult {
            let timeout = extra.contains("--timeout") ? [] : ["--timeout", "60s"]
            return try sandbox.run(["login", profile, "--server", serverURL] + timeout + extra, environment: try browser(mode))
        }

        func statusJSON(_ profile: String) throws -> [String: Any] {
            let result = try sandbox.expectSuccess(["status", profile, "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            return (object["profiles"] as! [[String: Any]])[0]
        }

        func vaultGeneration() throws -> Int {
            let result = try sandbox.expectSuccess(["status", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            return try #require(object["generation"] as? Int)
        }

        /// The vault's folder as it is: each file's name and bytes (a temp file left behind shows).
        func vaultBytes() throws -> [String: Data] {
            let folder = URL(fileURLWithPath: sandbox.vault).deletingLastPathComponent()
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
            }
            return files
        }

        /// The profile's access token, checked against the MCP server's protected resource.
        func servedToken(_ profile: String) throws -> String {
            let result = try sandbox.run(["token", profile], secretOnStdout: true)
            #expect(result.status == 0, "\(result.stderr)")
            let token = result.stdout.trimmingCharacters(in: .newlines)
            #expect(try server.resourceAccepts(token), "the MCP server refuses the token login sealed")
            return token
        }
    }

    @Test("login registers TokenVault, signs in through the browser, and seals a chain that serves and refreshes")
    func registersAndSignsIn() throws {
        let fixture = try Fixture()
        let result = try fixture.login("readonly")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("registered TokenVault as client "))
        #expect(result.stderr.contains("/o/authorize/?response_type=code&client_id="), "the address is always printed")
        #expect(result.stderr.contains("code_challenge_method=S256"))
        let encodedResource = try #require(fixture.server.resource.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))))
        #expect(result.stderr.contains("&resource=\(encodedResource)&"), "resource is sent with the authorization request")
        #expect(result.stderr.contains("&scope=read%20write\n"), "the scopes the protected resource's metadata lists")
        #expect(result.stderr.contains("signed in: created profile 'readonly'"))
        let visits = fixture.visits()
        #expect(visits.count == 1)
        #expect(visits.first?["status"] as? Int == 200)
        #expect((visits.first?["body"] as? String)?.contains("You can close this tab") == true)
        #expect(try fixture.server.stats()["registrations"] as? Int == 1)

        let status = try fixture.statusJSON("readonly")
        let clientID = try #require(status["client_id"] as? String)
        #expect(result.stderr.contains("registered TokenVault as client \(clientID) "))
        #expect(status["resource"] as? String == fixture.server.resource)
        #expect(status["issuer"] as? String == fixture.server.issuer)
        #expect(status["token_endpoint"] as? String == fixture.server.tokenEndpoint)
        #expect(status["auth_method"] as? String == "none")

        let token = try fixture.servedToken("readonly")
        #expect(!result.stderr.contains(token))
        let last = try fixture.server.stats()["last_token_request"] as? [String: Any]
        #expect(last?["grant_type"] as? String == "authorization_code")
        #expect(last?["resource"] as? [String] == [fixture.server.resource], "resource is sent with the code")
        #expect(last?["params"] as? [String] == ["client_id", "code", "code_verifier", "grant_type", "redirect_uri", "resource"])
        let refreshed = try fixture.sandbox.run(["refresh", "readonly", "--force"])
        #expect(refreshed.status == 0, "\(refreshed.stderr)")
        #expect(try fixture.server.stats()["refresh_grants_ok"] as? Int == 1)
        #expect(try fixture.servedToken("readonly") != token)
    }

    @Test("login with --client-id uses the pre-registered client and registers none")
    func preRegisteredClient() throws {
        let fixture = try Fixture()
        _ = try fixture.server.seed(clientID: "tokenvault-test")
        let result = try fixture.login("admin", ["--client-id", "tokenvault-test", "--scope", "read"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("registered"))
        #expect(result.stderr.contains("scope=read&") || result.stderr.contains("scope=read\n"))
        #expect(try fixture.server.stats()["registrations"] as? Int == 0)
        #expect(try fixture.statusJSON("admin")["client_id"] as? String == "tokenvault-test")
        _ = try fixture.servedToken("admin")
    }

    @Test("login with a confidential client authenticates the code exchange as --auth-method says", arguments: ["client_secret_basic", "client_secret_post"])
    func confidentialClient(_ method: String) throws {
        let fixture = try Fixture()
        let seeded = try fixture.server.seed(clientID: "tokenvault-confidential", confidential: true)
        let secretFile = fixture.sandbox.directory.file("client-secret")
        try #require(FileManager.default.createFile(
            atPath: secretFile, contents: Data(((seeded["client_secret"] as? String) ?? "").utf8), attributes: [.posixPermissions: 0o600]))
        let result = try fixture.login("admin", ["--client-id", "tokenvault-confidential", "--client-secret-file", secretFile, "--auth-method", method])
        #expect(result.status == 0, "\(result.stderr)")
        let last = try fixture.server.stats()["last_token_request"] as? [String: Any]
        #expect(last?["grant_type"] as? String == "authorization_code")
        #expect(last?["client_auth"] as? String == method)
        #expect(try fixture.statusJSON("admin")["auth_method"] as? String == method)
        _ = try fixture.servedToken("admin")
        #expect(try fixture.sandbox.run(["refresh", "admin", "--force"]).status == 0)
    }

    @Test("a second login of a profile replaces its chain in one write: a new refresh token that serves and refreshes")
    func reloginReplaces() throws {
        let fixture = try Fixture()
        #expect(try fixture.login("readonly").status == 0)
        let first = try fixture.statusJSON("readonly")
        let firstToken = try fixture.servedToken("readonly")
        let generation = try fixture.vaultGeneration()
        let again = try fixture.login("readonly")
        #expect(try fixture.vaultGeneration() == generation + 1, "one write")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("signed in: replaced profile 'readonly'"))
        let second = try fixture.statusJSON("readonly")
        #expect((second["refresh_token"] as? [String: Any])?["fingerprint"] as? String
                != (first["refresh_token"] as? [String: Any])?["fingerprint"] as? String)
        #expect(try fixture.sandbox.profileNames() == ["readonly"])
        #expect(try fixture.servedToken("readonly") != firstToken)
        #expect(try fixture.sandbox.run(["refresh", "readonly", "--force"]).status == 0)
    }

    @Test("status names the login command for a profile whose chain was revoked, and that command brings it back")
    func statusNamesLogin() throws {
        let fixture = try Fixture()
        let seeded = try fixture.server.seed(clientID: "tokenvault-test")
        let json = String(decoding: try JSONSerialization.data(withJSONObject: seeded), as: UTF8.self)
        try fixture.sandbox.expectSuccess(["import", "readonly", "--server", fixture.serverURL, "--client-id", "tokenvault-test"], stdin: json)
        _ = try fixture.server.spend(refreshToken: seeded["refresh_token"] as! String)
        #expect(try fixture.sandbox.run(["refresh", "readonly", "--force"]).status == 20)

        let status = try fixture.sandbox.run(["status"])
        let command = "tokenvault login readonly --server \(fixture.server.resource)"
        #expect(status.stdout.contains("readonly: MCP authentication failed: refresh token expired or revoked; sign in again with '\(command)'"), "\(status.stdout)")
        let words = command.split(separator: " ").dropFirst().map(String.init)
        let again = try fixture.sandbox.run(words + ["--timeout", "60s"], environment: try fixture.browser("allow"))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try fixture.statusJSON("readonly")["state"] as? String == "ok")
        _ = try fixture.servedToken("readonly")
    }

    @Test("--no-browser reads the redirected-to address pasted at a prompt without echo")
    func pastedAddress() throws {
        let fixture = try Fixture()
        let steps: [[String: Any]] = [
            ["wait": "not echoed): "],
            ["echo": true],
            ["run": [Harness.python, Harness.script("browser.py"), "print", fixture.report],
             "with": "http://127\\.0\\.0\\.1:[0-9]+/o/authorize/\\?[^\\s]+"],
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        let report = try Harness.run(
            "pty_drive.py", [json, tokenvaultExecutable, "login", "pasted", "--server", fixture.serverURL, "--no-browser"],
            environment: fixture.sandbox.environment)
        let output = report["output"] as? String ?? ""
        #expect(report["exit"] as? Int == 0, "\(output)")
        #expect(report["echo_states"] as? [Bool] == [false], "the prompt does not echo")
        #expect(report["echo_after"] as? Bool == true)
        #expect(!output.contains("code="), "the pasted address (with its code) is never shown")
        #expect(output.contains("signed in: created profile 'pasted'"))
        #expect(fixture.visits().isEmpty, "no browser was opened")
        _ = try fixture.servedToken("pasted")
    }

    @Test("--no-browser refuses a paste that is not the redirected-to address (exit 19) and writes nothing")
    func pastedNonsense() throws {
        let fixture = try Fixture()
        try fixture.sandbox.importProfile("readonly")
        let before = try fixture.vaultBytes()
        let steps: [[String: Any]] = [["wait": "not echoed): "], ["send": "\(secretMarker)-not-an-address\n"]]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        let report = try Harness.run(
            "pty_drive.py", [json, tokenvaultExecutable, "login", "readonly", "--server", fixture.serverURL, "--no-browser"],
            environment: fixture.sandbox.environment)
        let output = report["output"] as? String ?? ""
        #expect(report["exit"] as? Int == 19, "\(output)")
        #expect(output.contains("cannot sign in to \(fixture.serverURL) for profile 'readonly': what was pasted is not the address the browser was sent to"))
        #expect(output.contains("paste the whole address from the browser's address bar"))
        #expect(!output.contains(secretMarker), "the paste is never shown")
        #expect(try fixture.vaultBytes() == before)
    }

    /// A sign-in that goes wrong: how, the exit code and the words tokenvault says.
    struct Failure: CustomTestStringConvertible, Sendable {
        let name: String
        let mode: String
        let extra: [String]
        let setup: @Sendable (OAuthServer) throws -> Void
        let status: Int32
        let message: String
        let hint: String
        var testDescription: String { name }
    }

    static let failures: [Failure] = [
        Failure(name: "the user denies access", mode: "deny", extra: [], setup: { _ in }, status: 26,
                message: "the sign-in was denied (access_denied)", hint: "allow access in the browser"),
        Failure(name: "another error redirect (a scope the server does not know)", mode: "allow", extra: ["--scope", "nosuchscope"],
                setup: { _ in }, status: 26, message: "the authorization server refused the sign-in (invalid_scope)", hint: "check --scope"),
        Failure(name: "a redirect with another state", mode: "wrong-state", extra: [], setup: { _ in }, status: 26,
                message: "the redirect's state does not match this sign-in", hint: "close the tabs of earlier sign-ins"),
        Failure(name: "a redirect without a code", mode: "no-code", extra: [], setup: { _ in }, status: 26,
                message: "the redirect has neither an authorization code nor an error", hint: "finish the sign-in"),
        Failure(name: "the token endpoint refuses the code", mode: "bad-code", extra: [], setup: { _ in }, status: 20,
                message: "the token endpoint refused the authorization code (invalid_grant", hint: "sign in again"),
        Failure(name: "the token endpoint is failing for now", mode: "allow", extra: [],
                setup: { try $0.failNext(status: 503, error: "temporarily_unavailable") }, status: 23,
                message: "the token endpoint refused the authorization code (temporarily_unavailable", hint: "later"),
        Failure(name: "the token endpoint refuses the client", mode: "allow", extra: ["--client-id", "tokenvault-test"],
                setup: { try $0.failNext(status: 401, error: "invalid_client") }, status: 21,
                message: "the token endpoint refused the authorization code (invalid_client", hint: "check --client-id"),
        Failure(name: "no sign-in within --timeout", mode: "idle", extra: ["--timeout", "2s"], setup: { _ in }, status: 26,
                message: "no sign-in came back within 2 s", hint: "within --timeout (now 2s)"),
        Failure(name: "the server refuses to register the client", mode: "allow", extra: [],
                setup: { try $0.refuseRegistration("invalid_client_metadata") }, status: 21,
                message: "refused to register TokenVault as a client (invalid_client_metadata", hint: "pass --client-id ID"),
        Failure(name: "an authorization server without PKCE S256", mode: "allow", extra: [],
                setup: { try $0.advertiseCodeChallengeMethods(["plain"]) }, status: 22,
                message: "does not offer PKCE S256 (code_challenge_methods_supported: plain)", hint: "tokenvault import"),
    ]

    @Test("a failed sign-in exits with its code, names the profile, server and cause, and leaves the vault as it was",
          arguments: failures)
    func failedSignIn(_ failure: Failure) throws {
        let fixture = try Fixture()
        let seeded = try fixture.server.seedJSON(clientID: "tokenvault-test")
        try fixture.sandbox.expectSuccess(["import", "readonly", "--server", fixture.serverURL, "--client-id", "tokenvault-test"], stdin: seeded)
        try failure.setup(fixture.server)
        let before = try fixture.vaultBytes()

        let result = try fixture.login("readonly", failure.extra, mode: failure.mode)
        #expect(result.status == failure.status, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: error: cannot sign in to \(fixture.serverURL) for profile 'readonly': "), "\(result.stderr)")
        #expect(result.stderr.contains(failure.message), "\(result.stderr)")
        #expect(result.stderr.contains("nothing was written"))
        #expect(result.stderr.contains("tokenvault: hint: ") && result.stderr.contains(failure.hint), "\(result.stderr)")
        #expect(try fixture.vaultBytes() == before, "the vault changed")
    }

    @Test("a local client trickling its request a byte at a time holds the listener 5 s at most, never past --timeout")
    func tricklingClient() throws {
        let fixture = try Fixture()
        let started = ContinuousClock.now
        let result = try fixture.login("readonly", ["--timeout", "3s"], mode: "trickle")
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 26, "\(result.stderr)")
        #expect(result.stderr.contains("no sign-in came back within 3 s"), "\(result.stderr)")
        // Not a speed figure: a listener that let the trickle run would take its whole two minutes.
        #expect(elapsed < .seconds(30), "login took \(elapsed)")
    }

    @Test("the listener answers one callback and closes: a second one (a reloaded tab) finds nothing listening")
    func secondCallback() throws {
        let fixture = try Fixture()
        let result = try fixture.login("readonly", mode: "twice")
        #expect(result.status == 0, "\(result.stderr)")
        let visits = fixture.visits()
        #expect(visits.count == 2)
        #expect(visits.first?["status"] as? Int == 200)
        #expect(visits.last?["status"] == nil && visits.last?["error"] != nil, "\(visits)")
        #expect(try fixture.statusJSON("readonly")["client_id"] != nil)
    }

    @Test("Ctrl-C while waiting for the browser ends login with nothing written")
    func interrupted() throws {
        let fixture = try Fixture()
        try fixture.sandbox.importProfile("readonly")
        let before = try fixture.vaultBytes()
        let steps: [[String: Any]] = [["wait": "Ctrl-C gives up"], ["send": "\u{3}"]]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        var environment = fixture.sandbox.environment
        environment["BROWSER"] = try fixture.browser("idle")["BROWSER"]!
        let report = try Harness.run(
            "pty_drive.py", [json, tokenvaultExecutable, "login", "readonly", "--server", fixture.serverURL], environment: environment)
        #expect(report["signal"] as? Int == Int(SIGINT), "\(report)")
        #expect(try fixture.vaultBytes() == before)
    }
}
