import Foundation
import Testing
@testable import TokenVault

private let spentRefresh = "\(secretMarker)-spent-refresh"
private let expiredJSON = #"{"access_token":"\#(secretMarker)-old","refresh_token":"\#(spentRefresh)","expires_in":-10}"#

private func importExpired(_ sandbox: Sandbox, _ server: FaultServer, name: String = "p") throws {
    try sandbox.expectSuccess(["import", name, "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: expiredJSON)
}

private func statusJSON(_ sandbox: Sandbox, _ name: String = "p") throws -> [String: Any] {
    let result = try sandbox.expectSuccess(["status", name, "--json"])
    return ((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any])["profiles"] as! [[String: Any]])[0]
}

@Suite("hostile and odd inputs")
struct HostileInputTests {
    @Test("a rotated pair is sealed even when expires_in is null, unreadable or absurd, and the spent token is never sent again",
          arguments: [#"null"#, #""""#, #""3600s""#, #"9223372036854775807"#, #"-5"#])
    func oddExpiresIn(_ literal: String) throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(secretMarker)-new","refresh_token":"\#(secretMarker)-next","expires_in":\#(literal)}"#)])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)
        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(secretMarker)-new\n")
        #expect(server.requests.count == 1)
        let status = try statusJSON(sandbox)
        #expect((status["refresh_token"] as! [String: Any])["fingerprint"] as? String == Secret(copying: "\(secretMarker)-next").fingerprint)
        #expect((status["access_token"] as! [String: Any])["state"] as? String == "unknown_expiry")
    }

    @Test("an absurd Retry-After date on invalid_grant neither crashes nor loses the re-authentication state")
    func absurdRetryAfter() throws {
        let server = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant"}"#, headers: [("Retry-After", "Sun, 06 Nov 99999999999999999 08:49:37 GMT")])])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)
        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 20)
        #expect(try statusJSON(sandbox)["reauth_required"] as? Bool == true)
    }

    @Test("server error text that echoes the refresh token, with control characters, is masked and kept to one line")
    func echoedTokenMasked() throws {
        let description = #"Invalid refresh token: \#(spentRefresh)\n\u001b[31mred\u001b]0;title\u0007 grant_type=refresh_token&refresh_token=\#(spentRefresh)"#
        let server = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant","error_description":"\#(description)"}"#)])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)
        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 20)
        #expect(!result.stderr.contains("\u{1b}"))
        let lastError = try #require(try statusJSON(sandbox)["last_error"] as? String)
        #expect(lastError.contains("Invalid refresh token: ****"))
        #expect(!lastError.contains("\n") && !lastError.contains("\u{1b}") && !lastError.contains("\u{7}"))
        let table = try sandbox.expectSuccess(["status"])
        #expect(table.stdout.split(separator: "\n").filter { $0.hasPrefix("p:") }.count == 1)
    }

    @Test("processes racing on a token with no known expiry still cause one refresh")
    func unknownExpiryHerd() throws {
        let server = try FaultServer([.delay(seconds: 0.5, then: FaultServer.json(200, #"{"access_token":"\#(secretMarker)-new","refresh_token":"\#(secretMarker)-next"}"#))])
        let sandbox = try Sandbox()
        try importExpired(sandbox, server)
        let processes = try (0..<5).map { _ in try launch(["token", "p"], environment: sandbox.environment) }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        #expect(server.requests.count == 1)
    }

    @Test("a FIFO planted at the vault path is refused at once, not waited on")
    func fifoVault() throws {
        let sandbox = try Sandbox()
        try FileManager.default.removeItem(atPath: sandbox.vault)
        #expect(mkfifo(sandbox.vault, 0o600) == 0)
        let result = try runProcess("/usr/bin/timeout", ["10", tokenvaultExecutable, "list"], environment: sandbox.environment)
        #expect(result.status == 14, "\(result.stderr)")
        #expect(result.stderr.contains("is not a regular file"))
    }

    @Test("writes are refused in a folder others can write to; the hint never suggests chmod on a shared (sticky) folder",
          arguments: [(0o777, "0777"), (0o1777, "1777")])
    func openFolder(_ mode: Int, _ shown: String) throws {
        let sandbox = try Sandbox()
        let folder = sandbox.directory.file("vault")
        chmod(folder, mode_t(mode))
        let result = try sandbox.run(["remove", "nothing"])
        #expect(result.status == 14)
        #expect(result.stderr.contains("the vault's folder \(folder) has mode \(shown)"), "\(result.stderr)")
        let hint = result.stderr.split(separator: "\n").first { $0.hasPrefix("tokenvault: hint:") }.map(String.init) ?? ""
        #expect(hint.contains("keep the vault in a folder of its own"))
        #expect(hint.contains("chmod 700") == (mode & 0o1000 == 0), "\(hint)")
    }

    @Test("exec puts the token only in a name that looks like a token variable",
          arguments: ["LD_PRELOAD", "PATH", "BASH_ENV", "A B", "1X", "X=Y", "PYTHONWARNINGS", "NODE_OPTIONS", "JAVA_TOOL_OPTIONS",
                      "PERL5OPT", "PYTHONSTARTUP", "GLIBC_TUNABLES", "GCONV_PATH", "PROMPT_COMMAND", "PS1", "HOSTALIASES",
                      "TOKENVAULT_TOKEN", "LD_TOKEN", "mcp_token", "TOKEN_FILE"])
    func execEnvNames(_ name: String) throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let result = try sandbox.run(["exec", "p", "--env", name, "--", "/bin/true"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("an upper-case name ending in TOKEN"), "\(result.stderr)")
    }

    @Test("exec accepts token-shaped variable names and hands the token over in them", arguments: ["MCP_ACCESS_TOKEN", "GITHUB_TOKEN", "TOKEN", "API2_TOKEN"])
    func execTokenNames(_ name: String) throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let result = try sandbox.run(["exec", "p", "--env", name, "--", "/usr/bin/env"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").contains("\(name)=\(secretMarker)-access-p"))
    }

    @Test("commands refuse profile names that are not plain identifiers", arguments: [["token", "../x"], ["remove", "../x"], ["status", "a/b"], ["refresh", ".hidden"]])
    func badProfileNames(_ arguments: [String]) throws {
        let sandbox = try Sandbox()
        let result = try sandbox.run(arguments, secretOnStdout: true)
        #expect(result.status == 64)
    }

    @Test("loopback means 127.x.y.z in plain decimal, nothing a resolver might map elsewhere")
    func loopbackSpelling() {
        #expect((try? EndpointURL("http://127.-0.-0.-0:80/token")) == nil)
        #expect((try? EndpointURL("http://127.0.0.1.evil.example/token")) == nil)
        #expect((try? EndpointURL("http://127.0.0.0256/token")) == nil)
        #expect((try? EndpointURL("http://127.0.0.1:8080/token"))?.isLoopback == true)
        #expect((try? EndpointURL("http://[::1]:8080/token"))?.isLoopback == true)
    }

    @Test("one refresh token cannot back two profiles")
    func sharedChainRefused() throws {
        let sandbox = try Sandbox()
        let json = #"{"access_token":"\#(secretMarker)-a","refresh_token":"\#(secretMarker)-shared","expires_in":60}"#
        try sandbox.expectSuccess(["import", "one", "--token-endpoint", "https://a.example.com/t", "--client-id", "c"], stdin: json)
        let second = try sandbox.run(["import", "two", "--token-endpoint", "https://a.example.com/t", "--client-id", "c"], stdin: json)
        #expect(second.status == 19)
        #expect(second.stderr.contains("profile 'one' already holds this refresh token"))
        #expect(try sandbox.profileNames() == ["one"])
        try sandbox.expectSuccess(["import", "one", "--token-endpoint", "https://a.example.com/t", "--client-id", "c"], stdin: json)
    }
}
