import Foundation
import SystemPackage
import Testing
@testable import TokenVault

// The `tokenvault` command against a token endpoint that misbehaves on demand (FaultServer). Each
// test checks what a user sees: the exit code, the class of message on stderr, what `status --json`
// says is in the vault afterwards, and what the token endpoint received.

private let resource = "https://mcp.example.com/mcp"
private let oldAccess = "\(secretMarker)-old-access"
private let oldRefresh = "\(secretMarker)-old-refresh"
private let newAccess = "\(secretMarker)-new-access"
private let newRefresh = "\(secretMarker)-new-refresh"
/// A second profile's own chain: one refresh token backs only one profile.
private let otherRefresh = "\(secretMarker)-other-refresh"

/// A good token response that rotates the refresh token; `expires_in` as a string, as some servers send it.
private let rotated = FaultServer.json(
    200, #"{"access_token":"\#(newAccess)","token_type":"Bearer","expires_in":"3600","refresh_token":"\#(newRefresh)"}"#)

/// Import JSON in MCP Inspector's shape; `expiresIn` -10 makes an already expired access token.
private func tokenJSON(access: String = oldAccess, refresh: String = oldRefresh, expiresIn: Int = -10, scope: String? = nil) -> String {
    let scopeMember = scope.map { #","scope":"\#($0)""# } ?? ""
    return #"{"access_token":"\#(access)","refresh_token":"\#(refresh)","expires_in":\#(expiresIn)\#(scopeMember)}"#
}

private func importProfile(
    _ sandbox: Sandbox, _ name: String = "p", endpoint: String, json: String = tokenJSON(),
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    try sandbox.expectSuccess(
        ["import", name, "--token-endpoint", endpoint, "--client-id", "c", "--resource", resource],
        stdin: json, sourceLocation: sourceLocation)
}

/// The same 8-hex-digit fingerprint `status` shows for a token.
private func fingerprint(_ token: String) -> String {
    Secret(copying: token).fingerprint
}

private func unixNow() -> Int {
    Int(time(nil))
}

/// One profile of `tokenvault status NAME --json`.
private struct ProfileStatus {
    let fields: [String: Any]
    /// The `now` the command reported.
    let now: Int

    private var access: [String: Any] { fields["access_token"] as? [String: Any] ?? [:] }
    private var refresh: [String: Any] { fields["refresh_token"] as? [String: Any] ?? [:] }

    var state: String? { fields["state"] as? String }
    var accessState: String? { access["state"] as? String }
    var accessExpiresAt: Int? { access["expires_at"] as? Int }
    var accessExpiresIn: Int? { access["expires_in"] as? Int }
    var accessFingerprint: String? { access["fingerprint"] as? String }
    var refreshFingerprint: String? { refresh["fingerprint"] as? String }
    var scope: String? { fields["scope"] as? String }
    var reauthRequired: Bool? { fields["reauth_required"] as? Bool }
    var clientRejected: Bool? { fields["client_rejected"] as? Bool }
    var lastError: String? { fields["last_error"] as? String }
    var lastErrorAt: Int? { fields["last_error_at"] as? Int }
    var consecutiveFailures: Int? { fields["consecutive_failures"] as? Int }
    var retryAfter: Int? { fields["retry_after"] as? Int }
    var lastRefreshedAt: Int? { fields["last_refreshed_at"] as? Int }
}

private func profileStatus(_ sandbox: Sandbox, _ name: String = "p", sourceLocation: SourceLocation = #_sourceLocation) throws -> ProfileStatus {
    let result = try sandbox.expectSuccess(["status", name, "--json"], sourceLocation: sourceLocation)
    let document = try #require(
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
    let profiles = try #require(document["profiles"] as? [[String: Any]], sourceLocation: sourceLocation)
    let profile = try #require(profiles.first { $0["name"] as? String == name }, sourceLocation: sourceLocation)
    return ProfileStatus(fields: profile, now: document["now"] as? Int ?? 0)
}

/// The members of an `application/x-www-form-urlencoded` body, values as sent (still encoded).
private func formFields(_ body: String) -> [String: String] {
    var fields: [String: String] = [:]
    for pair in body.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        fields[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return fields
}

/// The tokens the sandbox was given, unchanged: a failed refresh keeps what the vault had.
private func expectOldTokensKept(_ status: ProfileStatus, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(status.accessFingerprint == fingerprint(oldAccess), "the access token changed", sourceLocation: sourceLocation)
    #expect(status.refreshFingerprint == fingerprint(oldRefresh), "the refresh token changed", sourceLocation: sourceLocation)
}

private func base64URL(_ text: String) -> String {
    Data(text.utf8).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

@Suite("refresh faults")
struct RefreshFaultTests {
    // MARK: Successful refreshes

    @Test("an expired token is refreshed once: the new token is printed, sealed and rotated, and the request carries no scope")
    func successfulRefresh() throws {
        let server = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let before = unixNow()
        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(newAccess)\n")

        let status = try profileStatus(sandbox)
        #expect(status.accessState == "valid")
        #expect(status.accessFingerprint == fingerprint(newAccess))
        #expect(status.refreshFingerprint == fingerprint(newRefresh))
        #expect(status.refreshFingerprint != fingerprint(oldRefresh))
        let expiresIn = try #require(status.accessExpiresIn)
        #expect((3590...3600).contains(expiresIn))
        let expiresAt = try #require(status.accessExpiresAt)
        #expect((before + 3600...unixNow() + 3600).contains(expiresAt))
        #expect(status.state == "ok")
        #expect(status.consecutiveFailures == 0)
        #expect(status.lastError == nil)
        #expect(status.lastRefreshedAt != nil)

        let requests = server.requests
        try #require(requests.count == 1)
        let request = requests[0]
        #expect(request.method == "POST")
        #expect(request.path == "/token")
        #expect(request.header("Accept") == "application/json")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(request.header("Authorization") == nil)
        let form = formFields(request.body)
        #expect(form == [
            "grant_type": "refresh_token",
            "refresh_token": oldRefresh,
            "client_id": "c",
            "resource": "https%3A%2F%2Fmcp.example.com%2Fmcp",
        ])
        #expect(form["scope"] == nil)

        let again = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(again.status == 0)
        #expect(again.stdout == "\(newAccess)\n")
        #expect(server.requests.count == 1, "a fresh token was refreshed again")

        let onDisk = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        #expect(onDisk.range(of: Data(secretMarker.utf8)) == nil, "a token is readable in the vault file")
    }

    @Test("a response without refresh_token or scope keeps the stored refresh token and scope")
    func noRotation() throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(newAccess)","token_type":"Bearer","expires_in":3600}"#)])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL, json: tokenJSON(scope: "read write"))

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(newAccess)\n")

        let status = try profileStatus(sandbox)
        #expect(status.accessFingerprint == fingerprint(newAccess))
        #expect(status.refreshFingerprint == fingerprint(oldRefresh))
        #expect(status.scope == "read write")
        #expect(status.accessState == "valid")
        #expect(server.requests.count == 1)
    }

    @Test("without expires_in, a JWT access token expires at its exp claim")
    func jwtExpiry() throws {
        let exp = unixNow() + 1800
        let jwt = base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + base64URL(#"{"sub":"user","exp":\#(exp)}"#) + ".\(secretMarker)-signature"
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(jwt)","token_type":"Bearer","refresh_token":"\#(newRefresh)"}"#)])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(jwt)\n")

        let status = try profileStatus(sandbox)
        #expect(status.accessExpiresAt == exp)
        #expect(status.accessState == "valid")
        #expect(status.accessFingerprint == fingerprint(jwt))
        #expect(server.requests.count == 1)
    }

    @Test("without expires_in, an opaque access token has an unknown expiry and is used without refreshing")
    func opaqueTokenWithoutExpiry() throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(newAccess)","token_type":"Bearer","refresh_token":"\#(newRefresh)"}"#)])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(newAccess)\n")

        let status = try profileStatus(sandbox)
        #expect(status.accessExpiresAt == nil)
        #expect(status.fields["access_token"].flatMap { ($0 as? [String: Any])?["expires_at"] } is NSNull)
        #expect(status.accessState == "unknown_expiry")

        let again = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(again.status == 0)
        #expect(again.stdout == "\(newAccess)\n")
        #expect(server.requests.count == 1, "a token of unknown expiry was refreshed without a 401")
    }

    // MARK: Transient failures

    /// A token endpoint that fails for now, and how often it is asked: once for a definite failure,
    /// twice (with the same refresh token) for an answer that says nothing usable.
    struct TransientFault: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let behavior: FaultServer.Behavior
        var environment: [String: String] = [:]
        let requests: Int
        /// Part of `last_error`; nil: any.
        let lastError: String?
    }

    static let transientFaults: [TransientFault] = [
        TransientFault(testDescription: "a 500 with a plain-text body, not retried",
                       behavior: .respond(status: 500, headers: [("Content-Type", "text/plain")], body: "upstream exploded"),
                       requests: 1, lastError: "500"),
        TransientFault(testDescription: "malformed JSON twice",
                       behavior: FaultServer.json(200, "{not json"), requests: 2, lastError: "not JSON"),
        TransientFault(testDescription: "a 1 MiB answer, cut off without a crash, twice",
                       behavior: .oversizedBody(bytes: 1 << 20), requests: 2, lastError: "exceeded"),
        TransientFault(testDescription: "slower than TOKENVAULT_HTTP_TIMEOUT, given up on twice",
                       behavior: .delay(seconds: 5, then: rotated), environment: ["TOKENVAULT_HTTP_TIMEOUT": "1"],
                       requests: 2, lastError: nil),
    ]

    @Test("a transient failure exits 23 with a hint, keeps the tokens and records the failure and a one-second back-off",
          arguments: transientFaults)
    func transientFailure(_ fault: TransientFault) throws {
        let server = try FaultServer([fault.behavior])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let before = unixNow()
        let start = ContinuousClock.now
        let result = try sandbox.run(["token", "p"], environment: fault.environment.mapValues { $0 }, secretOnStdout: true)
        let elapsed = ContinuousClock.now - start
        let after = unixNow()
        #expect(result.status == 23, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("tokenvault: error: could not refresh profile 'p' for now"))
        #expect(result.stderr.contains("tokenvault: hint: "))
        // The slow server answers after 5 s; TOKENVAULT_HTTP_TIMEOUT=1 must cut both attempts short.
        #expect(elapsed < .seconds(4.5), "the timeout was not applied: \(elapsed)")

        let requests = server.requests
        #expect(requests.count == fault.requests)
        #expect(Set(requests.map(\.body)).count == 1, "a retry changed the request")
        #expect(requests.allSatisfy { formFields($0.body)["refresh_token"] == oldRefresh })

        let status = try profileStatus(sandbox)
        expectOldTokensKept(status)
        #expect(status.state == "failing")
        #expect(status.consecutiveFailures == 1)
        #expect(status.reauthRequired == false)
        #expect(status.clientRejected == false)
        let lastError = try #require(status.lastError)
        if let fragment = fault.lastError {
            #expect(lastError.contains(fragment), "\(lastError)")
        }
        let failedAt = try #require(status.lastErrorAt)
        #expect((before...after).contains(failedAt))
        // The first back-off is about a second.
        let retryAfter = try #require(status.retryAfter)
        #expect((failedAt + 1...failedAt + 2).contains(retryAfter))
    }

    @Test("within a back-off, token makes no request and exits 23 again")
    func backOffHonoured() throws {
        let server = try FaultServer([.respond(status: 503, headers: [("Retry-After", "60")], body: "maintenance")])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let first = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(first.status == 23)
        let status = try profileStatus(sandbox)
        let retryAfter = try #require(status.retryAfter)
        #expect((status.now + 55...status.now + 60).contains(retryAfter))

        let second = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(second.status == 23)
        #expect(second.stdout.isEmpty)
        #expect(second.stderr.contains("tokenvault: error: could not refresh profile 'p' for now"))
        #expect(server.requests.count == 1, "the token endpoint was called during the back-off")
        // A refused attempt inside the back-off is not another failure of the server.
        #expect(try profileStatus(sandbox).consecutiveFailures == 1)
    }

    @Test("a 429 with Retry-After: 1 backs off one second, then the next token call refreshes")
    func rateLimited() throws {
        let server = try FaultServer([.respond(status: 429, headers: [("Retry-After", "1")], body: ""), rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let before = unixNow()
        let first = try sandbox.run(["token", "p"], secretOnStdout: true)
        let after = unixNow()
        #expect(first.status == 23)
        #expect(first.stderr.contains("tokenvault: error: could not refresh profile 'p' for now"))
        let failed = try profileStatus(sandbox)
        expectOldTokensKept(failed)
        let retryAfter = try #require(failed.retryAfter)
        #expect((before + 1...after + 1).contains(retryAfter))

        Thread.sleep(forTimeInterval: 1.5)
        let second = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == "\(newAccess)\n")
        #expect(server.requests.count == 2)

        let recovered = try profileStatus(sandbox)
        #expect(recovered.refreshFingerprint == fingerprint(newRefresh))
        #expect(recovered.consecutiveFailures == 0)
        #expect(recovered.retryAfter == nil)
        #expect(recovered.lastError == nil)
        #expect(recovered.state == "ok")
    }

    @Test("no usable answer (malformed JSON) is retried once with the same refresh token, and the second answer counts")
    func malformedThenGood() throws {
        let server = try FaultServer([FaultServer.json(200, "{not json"), rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(newAccess)\n")

        let requests = server.requests
        try #require(requests.count == 2)
        #expect(requests[0].body == requests[1].body)
        #expect(formFields(requests[1].body)["refresh_token"] == oldRefresh)

        let status = try profileStatus(sandbox)
        #expect(status.accessFingerprint == fingerprint(newAccess))
        #expect(status.refreshFingerprint == fingerprint(newRefresh))
        #expect(status.consecutiveFailures == 0)
    }

    @Test("a refresh killed after sending leaves its request's lifetime in the refresh lock file: the next refresh sends only after it")
    func killedSenderHoldsTheRefreshLock() throws {
        // The first request is never answered in time; the second is.
        let server = try FaultServer([.delay(seconds: 60, then: rotated), rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)
        // TOKENVAULT_HTTP_TIMEOUT=2: connect 2 s + total 2 s + 5 s = 9 s during which the first
        // request may still arrive (RefreshEngine.requestLifetime).
        var environment = sandbox.environment
        environment["TOKENVAULT_HTTP_TIMEOUT"] = "2"
        let launched = ContinuousClock.now
        let holder = BackgroundRun(["refresh", "p"], environment: environment, in: sandbox.directory)
        let deadline = ContinuousClock.now + .seconds(20)
        while server.requests.isEmpty, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(server.requests.count == 1, "the first refresh never sent its request")
        kill(holder.pid(), SIGKILL)
        _ = try? holder.wait()

        let result = try sandbox.run(["token", "p"], environment: ["TOKENVAULT_HTTP_TIMEOUT": "2"], secretOnStdout: true)
        let sentAfter = ContinuousClock.now - launched
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == newAccess + "\n")
        #expect(server.requests.count == 2)
        // The killed holder confirmed its request no earlier than it was launched.
        #expect(sentAfter >= .seconds(9), "the next refresh sent while the first request could still arrive: \(sentAfter)")
        #expect(sentAfter < .seconds(20), "the next refresh waited far longer than the first request's lifetime: \(sentAfter)")
    }

    @Test("a TOKENVAULT_HTTP_TIMEOUT that is not a number of seconds is a usage error")
    func badTimeoutVariable() throws {
        let server = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let result = try sandbox.run(["token", "p"], environment: ["TOKENVAULT_HTTP_TIMEOUT": "soon"], secretOnStdout: true)
        #expect(result.status == 64)
        #expect(result.stderr.contains("tokenvault: error: TOKENVAULT_HTTP_TIMEOUT='soon'"))
        #expect(server.requests.isEmpty)
    }

    @Test("with the token endpoint down, an expired token exits 23 and a valid one is still served")
    func serverDown() throws {
        let gone = try FaultServer([rotated])
        let endpoint = gone.tokenURL
        gone.stop()
        let sandbox = try Sandbox()
        try importProfile(sandbox, "expired", endpoint: endpoint)
        try importProfile(sandbox, "fresh", endpoint: endpoint, json: tokenJSON(refresh: otherRefresh, expiresIn: 3600))

        let failed = try sandbox.run(["token", "expired"], secretOnStdout: true)
        #expect(failed.status == 23)
        #expect(failed.stdout.isEmpty)
        #expect(failed.stderr.contains("tokenvault: error: could not refresh profile 'expired' for now"))
        #expect(failed.stderr.contains("tokenvault: hint: "))
        let expired = try profileStatus(sandbox, "expired")
        expectOldTokensKept(expired)
        #expect(expired.consecutiveFailures == 1)
        #expect(expired.lastError?.contains("unreachable") == true)

        let served = try sandbox.run(["token", "fresh"], secretOnStdout: true)
        #expect(served.status == 0)
        #expect(served.stdout == "\(oldAccess)\n")
        #expect(served.stderr.isEmpty)
        let fresh = try profileStatus(sandbox, "fresh")
        #expect(fresh.consecutiveFailures == 0)
        #expect(fresh.lastError == nil)
    }

    @Test("with the token endpoint down, a token inside its refresh margin is served and the failure recorded")
    func serverDownDuringMargin() throws {
        let gone = try FaultServer([rotated])
        let endpoint = gone.tokenURL
        gone.stop()
        let sandbox = try Sandbox()
        // A one-hour token obtained 58 minutes ago: two minutes left, inside the five-minute margin.
        let now = Int64(unixNow())
        let store = VaultStore(location: VaultLocation(path: FilePath(sandbox.vault)), keys: try KeyRing.load(keyfile: FilePath(sandbox.keyfile)))
        try store.update { profiles, _ in
            profiles["p"] = TokenProfile(
                accessToken: Secret(copying: oldAccess), refreshToken: Secret(copying: oldRefresh),
                expiresAt: now + 120, importedAt: now - 3480,
                binding: RefreshBinding(tokenEndpoint: endpoint, clientID: "c", resource: resource)
            )
        }
        #expect(try profileStatus(sandbox).accessState == "refresh_due")

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(oldAccess)\n")
        #expect(!result.stderr.contains("tokenvault: error:"))

        let status = try profileStatus(sandbox)
        expectOldTokensKept(status)
        #expect(status.consecutiveFailures == 1)
        #expect(status.lastError?.contains("unreachable") == true)
    }

    // MARK: Refusals

    /// A refusal that no retry can change: the command exits 20 or 21 every time without asking again.
    struct FinalRefusal: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let response: FaultServer.Behavior
        let exitCode: Int32
        let state: String
        let reauthRequired: Bool
        let clientRejected: Bool
        /// On stderr; the first is the error line, repeated on every later call.
        let messages: [String]
        let lastError: String
    }

    static let finalRefusals: [FinalRefusal] = [
        FinalRefusal(testDescription: "invalid_grant: re-authentication required",
                     response: FaultServer.json(400, #"{"error":"invalid_grant","error_description":"expired"}"#),
                     exitCode: 20, state: "reauth-required", reauthRequired: true, clientRejected: false,
                     messages: ["tokenvault: error: MCP authentication failed: refresh token expired or revoked",
                                "tokenvault: hint: sign in again", "tokenvault import p"],
                     lastError: "invalid_grant"),
        FinalRefusal(testDescription: "invalid_client: client rejected",
                     response: FaultServer.json(401, #"{"error":"invalid_client"}"#),
                     exitCode: 21, state: "client-rejected", reauthRequired: false, clientRejected: true,
                     messages: ["tokenvault: error: the authorization server no longer accepts the OAuth client of profile 'p'",
                                "tokenvault: hint: register the client again"],
                     lastError: "invalid_client"),
    ]

    @Test("a final refusal exits with its code, keeps the tokens, marks the profile and stops asking; other profiles still work",
          arguments: finalRefusals)
    func finalRefusal(_ refusal: FinalRefusal) throws {
        let server = try FaultServer([refusal.response])
        let other = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(secretMarker)-other-new"}"#)])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)
        try importProfile(sandbox, "q", endpoint: other.tokenURL,
                          json: tokenJSON(access: "\(secretMarker)-q-access", refresh: "\(secretMarker)-q-refresh", expiresIn: 3600))

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == refusal.exitCode, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        for message in refusal.messages {
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }

        let status = try profileStatus(sandbox)
        expectOldTokensKept(status)
        #expect(status.state == refusal.state)
        #expect(status.reauthRequired == refusal.reauthRequired)
        #expect(status.clientRejected == refusal.clientRejected)
        #expect(status.lastError?.contains(refusal.lastError) == true, "\(status.lastError ?? "nil")")
        #expect(server.requests.count == 1)

        let again = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(again.status == refusal.exitCode)
        #expect(again.stderr.contains(refusal.messages[0]))
        #expect(server.requests.count == 1, "a refused refresh was asked again")

        let served = try sandbox.run(["token", "q"], secretOnStdout: true)
        #expect(served.status == 0, "\(served.stderr)")
        #expect(served.stdout == "\(secretMarker)-q-access\n")
        #expect(other.requests.isEmpty)
        let q = try profileStatus(sandbox, "q")
        #expect(q.reauthRequired == false)
        #expect(q.clientRejected == false)
        #expect(q.state == "ok")
        #expect(q.refreshFingerprint == fingerprint("\(secretMarker)-q-refresh"))
    }

    /// A request the token endpoint refuses because of how the profile is set up: exit 22, nothing marked.
    struct ConfigurationFault: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// The answer, given the URL of another token endpoint that must never be asked.
        let response: @Sendable (_ elsewhere: String) -> FaultServer.Behavior
        let messages: [String]
        let lastError: String
    }

    static let configurationFaults: [ConfigurationFault] = [
        ConfigurationFault(testDescription: "invalid_target",
                           response: { _ in FaultServer.json(400, #"{"error":"invalid_target"}"#) },
                           messages: ["tokenvault: error: the token endpoint of profile 'p' refused the request: invalid_target",
                                      "tokenvault: hint: check the profile's token endpoint and resource"],
                           lastError: "invalid_target"),
        ConfigurationFault(testDescription: "a 302 redirect to another token endpoint",
                           response: { .respond(status: 302, headers: [("Location", $0)], body: "") },
                           messages: ["tokenvault: error: the token endpoint of profile 'p' refused the request",
                                      "redirected (302)"],
                           lastError: "redirected (302)"),
    ]

    @Test("a configuration fault exits 22, keeps the tokens, marks nothing, and the refresh token goes nowhere else",
          arguments: configurationFaults)
    func configurationFault(_ fault: ConfigurationFault) throws {
        let elsewhere = try FaultServer([rotated])
        let server = try FaultServer([fault.response(elsewhere.tokenURL)])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)

        let result = try sandbox.run(["token", "p"], secretOnStdout: true)
        #expect(result.status == 22, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        for message in fault.messages {
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
        #expect(server.requests.count == 1)
        #expect(elsewhere.requests.isEmpty, "the redirect was followed")

        let status = try profileStatus(sandbox)
        expectOldTokensKept(status)
        #expect(status.reauthRequired == false)
        #expect(status.clientRejected == false)
        #expect(status.consecutiveFailures == 1)
        #expect(status.lastError?.contains(fault.lastError) == true, "\(status.lastError ?? "nil")")
    }

    // MARK: Commands

    @Test("refresh --force on a fresh token makes exactly one request and rotates")
    func forcedRefresh() throws {
        let server = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL, json: tokenJSON(expiresIn: 3600))

        let result = try sandbox.run(["refresh", "p", "--force"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("tokenvault: p: refreshed"))
        #expect(result.stderr.contains("refresh token rotated"))
        #expect(server.requests.count == 1)

        let status = try profileStatus(sandbox)
        #expect(status.accessFingerprint == fingerprint(newAccess))
        #expect(status.refreshFingerprint == fingerprint(newRefresh))
    }

    @Test("refresh without --force leaves a fresh token alone")
    func unforcedRefreshOfFreshToken() throws {
        let server = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL, json: tokenJSON(expiresIn: 3600))

        let result = try sandbox.run(["refresh", "p"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: p: still fresh, not refreshed"))
        #expect(server.requests.isEmpty)
        expectOldTokensKept(try profileStatus(sandbox))
    }

    @Test("refresh --all refreshes only the profiles that are due")
    func refreshAll() throws {
        let dueServer = try FaultServer([rotated])
        let freshServer = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, "due", endpoint: dueServer.tokenURL)
        try importProfile(sandbox, "fresh", endpoint: freshServer.tokenURL, json: tokenJSON(refresh: otherRefresh, expiresIn: 3600))

        let result = try sandbox.run(["refresh", "--all"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: due: refreshed"))
        #expect(result.stderr.contains("tokenvault: fresh: still fresh, not refreshed"))
        #expect(dueServer.requests.count == 1)
        #expect(freshServer.requests.isEmpty)

        #expect(try profileStatus(sandbox, "due").refreshFingerprint == fingerprint(newRefresh))
        let fresh = try profileStatus(sandbox, "fresh")
        #expect(fresh.accessFingerprint == fingerprint(oldAccess))
        #expect(fresh.refreshFingerprint == fingerprint(otherRefresh))
    }

    @Test("every line of refresh --all starts with the time in UTC, ISO 8601")
    func refreshAllTimestamps() throws {
        let refusing = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant"}"#)])
        let working = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, "a-refused", endpoint: refusing.tokenURL)
        try importProfile(sandbox, "b-working", endpoint: working.tokenURL, json: tokenJSON(refresh: otherRefresh))

        let before = unixNow()
        let result = try sandbox.run(["refresh", "--all"])
        let after = unixNow()
        #expect(result.status == 20)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "error, hint and one success line: \(result.stderr)")
        for line in lines {
            let stamp = String(line.prefix(20))
            let time = try #require(ISO8601.parse(stamp), "no time at the start of '\(line)'")
            #expect(stamp.hasSuffix("Z") && ISO8601.format(time) == stamp)
            #expect((before...after).contains(Int(time)))
            #expect(line.dropFirst(20).hasPrefix(" tokenvault: "), "'\(line)'")
        }
        #expect(lines.contains { $0.contains("Z tokenvault: error: MCP authentication failed: refresh token expired or revoked for profile 'a-refused'") })
        #expect(lines.contains { $0.contains("Z tokenvault: b-working: refreshed") })
    }

    @Test("refresh --all --quiet prints only the failures and exits as without it", arguments: [false, true])
    func refreshAllQuiet(_ failing: Bool) throws {
        let refusing = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant"}"#)])
        let working = try FaultServer([rotated])
        let sandbox = try Sandbox()
        if failing { try importProfile(sandbox, "a-refused", endpoint: refusing.tokenURL) }
        try importProfile(sandbox, "b-working", endpoint: working.tokenURL, json: tokenJSON(refresh: otherRefresh))

        let result = try sandbox.run(["refresh", "--all", "--quiet"])
        #expect(result.status == (failing ? 20 : 0))
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        if failing {
            #expect(lines.count == 2, "\(result.stderr)")
            #expect(lines.first?.contains(" tokenvault: error: MCP authentication failed") == true)
            #expect(lines.last?.contains(" tokenvault: hint: ") == true)
        } else {
            #expect(lines.isEmpty, "\(result.stderr)")
        }
        #expect(working.requests.count == 1)
        #expect(try profileStatus(sandbox, "b-working").accessFingerprint == fingerprint(newAccess))
    }

    @Test("refresh --all --json reports each profile's outcome and exit code, never a token")
    func refreshAllJSON() throws {
        let refusing = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant"}"#)])
        let working = try FaultServer([rotated])
        let fresh = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, "a-refused", endpoint: refusing.tokenURL)
        try importProfile(sandbox, "b-working", endpoint: working.tokenURL, json: tokenJSON(refresh: otherRefresh))
        try importProfile(sandbox, "c-fresh", endpoint: fresh.tokenURL, json: tokenJSON(refresh: "\(secretMarker)-third", expiresIn: 3600))

        let before = unixNow()
        let result = try sandbox.run(["refresh", "--all", "--json"])
        #expect(result.status == 20)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["schema"] as? Int == 1)
        #expect(document["vault"] as? String == sandbox.vault)
        let profiles = try #require(document["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["name"] as? String } == ["a-refused", "b-working", "c-fresh"])
        let (refused, refreshed, unchanged) = (profiles[0], profiles[1], profiles[2])
        #expect(refused["outcome"] as? String == "failed")
        #expect(refused["exit_status"] as? Int == 20)
        #expect((refused["error"] as? String)?.contains("MCP authentication failed") == true)
        #expect(refused["hint"] is String)
        #expect(refreshed["outcome"] as? String == "refreshed")
        #expect(refreshed["refresh_token_rotated"] as? Bool == true)
        #expect(refreshed["exit_status"] as? Int == 0)
        #expect(refreshed["error"] is NSNull)
        let expiresAt = try #require(refreshed["access_token_expires_at"] as? Int)
        #expect(expiresAt >= before + 3500 && expiresAt <= unixNow() + 3600)
        #expect(unchanged["outcome"] as? String == "fresh")
        #expect(unchanged["refresh_token_rotated"] as? Bool == false)
        for profile in profiles { #expect((profile["at"] as? Int).map { $0 >= before } == true) }
    }

    @Test("refresh --all goes on after a failure and exits with the first failure's code")
    func refreshAllWithFailure() throws {
        let refusing = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant"}"#)])
        let working = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, "a-refused", endpoint: refusing.tokenURL)
        try importProfile(sandbox, "b-working", endpoint: working.tokenURL, json: tokenJSON(refresh: otherRefresh))

        let result = try sandbox.run(["refresh", "--all"])
        #expect(result.status == 20)
        #expect(result.stderr.contains("tokenvault: error: MCP authentication failed: refresh token expired or revoked for profile 'a-refused'"))
        #expect(result.stderr.contains("tokenvault: b-working: refreshed"))
        #expect(working.requests.count == 1)
        #expect(try profileStatus(sandbox, "b-working").accessFingerprint == fingerprint(newAccess))
    }

    @Test("token --rejected with the current token refreshes once; with an older token it returns the current one")
    func rejectedToken() throws {
        let server = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL, json: tokenJSON(expiresIn: 3600))

        let first = try sandbox.run(["token", "p", "--rejected"], stdin: "\(oldAccess)\n", secretOnStdout: true)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "\(newAccess)\n")
        #expect(server.requests.count == 1)
        #expect(formFields(server.requests[0].body)["refresh_token"] == oldRefresh)

        let stale = try sandbox.run(["token", "p", "--rejected"], stdin: "\(oldAccess)\n", secretOnStdout: true)
        #expect(stale.status == 0, "\(stale.stderr)")
        #expect(stale.stdout == "\(newAccess)\n")
        #expect(server.requests.count == 1, "a token that is no longer current caused another refresh")

        let status = try profileStatus(sandbox)
        #expect(status.accessFingerprint == fingerprint(newAccess))
        #expect(status.refreshFingerprint == fingerprint(newRefresh))
    }

    @Test("token --rejected without a token on stdin is invalid input")
    func rejectedWithoutToken() throws {
        let server = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL, json: tokenJSON(expiresIn: 3600))

        let result = try sandbox.run(["token", "p", "--rejected"], stdin: "")
        #expect(result.status == 19)
        #expect(result.stderr.contains("tokenvault: error: --rejected expects the rejected access token on stdin"))
        #expect(server.requests.isEmpty)
    }

    @Test("exec refreshes, passes the token in MCP_ACCESS_TOKEN or --env, and never passes the vault key on")
    func exec() throws {
        let server = try FaultServer([rotated])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)
        let keyText = try #require(
            try String(contentsOfFile: sandbox.keyfile, encoding: .utf8)
                .split(separator: "\n").first { $0.hasPrefix("tokenvault-key-v1:") }.map(String.init))
        // Both key variables set: TOKENVAULT_KEY is used, and neither may reach the command.
        let keyEnvironment: [String: String?] = ["TOKENVAULT_KEY": keyText]

        let result = try sandbox.run(["exec", "p", "--", "/usr/bin/env"], environment: keyEnvironment, secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("MCP_ACCESS_TOKEN=\(newAccess)"))
        #expect(!lines.contains { $0.hasPrefix("TOKENVAULT_KEY=") || $0.hasPrefix("TOKENVAULT_KEYFILE=") })
        #expect(!result.stdout.contains(keyText))
        #expect(lines.contains("TOKENVAULT_PATH=\(sandbox.vault)"))
        #expect(server.requests.count == 1)

        let other = try sandbox.run(["exec", "p", "--env", "OTHER_TOKEN", "--", "/usr/bin/env"], secretOnStdout: true)
        #expect(other.status == 0, "\(other.stderr)")
        let otherLines = other.stdout.split(separator: "\n").map(String.init)
        #expect(otherLines.contains("OTHER_TOKEN=\(newAccess)"))
        #expect(!otherLines.contains { $0.hasPrefix("MCP_ACCESS_TOKEN=") })
        #expect(!otherLines.contains { $0.hasPrefix("TOKENVAULT_KEYFILE=") })
        #expect(server.requests.count == 1)
    }

    @Test("exec does not run the command when no token can be had")
    func execWithoutToken() throws {
        let server = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant"}"#)])
        let sandbox = try Sandbox()
        try importProfile(sandbox, endpoint: server.tokenURL)
        let marker = sandbox.directory.file("ran")

        let result = try sandbox.run(["exec", "p", "--", "/usr/bin/touch", marker])
        #expect(result.status == 20)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
