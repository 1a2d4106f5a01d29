import Foundation
import SystemPackage
import Testing
@testable import TokenVault

/// `tokenvault status --check`, the monitor's view: exit 30 and a named problem for each state
/// that needs a person, exit 0 for the states that fix themselves. States are written straight
/// into the vault through the library, as a refresh engine would have left them.
@Suite("status --check")
struct StatusCheckTests {
    /// Changes one profile in the sandbox's vault, under the writer lock.
    private func edit(_ sandbox: Sandbox, _ name: String, _ change: (inout TokenProfile) -> Void) throws {
        let keys = try KeyRing.load(keyfile: FilePath(sandbox.keyfile))
        let store = VaultStore(location: VaultLocation(path: FilePath(sandbox.vault)), keys: keys)
        try store.update { profiles, _ in
            var profile = try #require(profiles[name])
            change(&profile)
            profiles[name] = profile
        }
    }

    private var now: Int64 { Int64(Date().timeIntervalSince1970) }

    /// `status --json --check` plus `extra`, decoded: the exit status, the `check` object, the problems.
    private func checkJSON(
        _ sandbox: Sandbox, _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (status: Int32, json: [String: Any], check: [String: Any], problems: [[String: Any]]) {
        let result = try sandbox.run(["status", "--json", "--check"] + extra, sourceLocation: sourceLocation)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "no JSON: \(result.stdout) \(result.stderr)", sourceLocation: sourceLocation
        )
        let check = try #require(json["check"] as? [String: Any], "no check object", sourceLocation: sourceLocation)
        let problems = try #require(check["problems"] as? [[String: Any]], sourceLocation: sourceLocation)
        #expect(check["ok"] as? Bool == problems.isEmpty, sourceLocation: sourceLocation)
        #expect((result.status == 0) == problems.isEmpty, sourceLocation: sourceLocation)
        return (result.status, json, check, problems)
    }

    /// Expects exit 30 in text and JSON with exactly one problem, `code` on `profile`, its detail
    /// starting with `detail`.
    private func expectProblem(
        _ sandbox: Sandbox, _ code: String, profile: String, detail: String, _ extra: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let text = try sandbox.run(["status", "--check"] + extra, sourceLocation: sourceLocation)
        #expect(text.status == 30, "status --check exited \(text.status): \(text.output)", sourceLocation: sourceLocation)
        #expect(text.stdout.contains("check: \(profile): \(detail)"), "\(text.stdout)", sourceLocation: sourceLocation)
        #expect(text.stdout.hasSuffix("check: 1 problem\n"), "\(text.stdout)", sourceLocation: sourceLocation)
        #expect(!text.stdout.contains("check: ok"), sourceLocation: sourceLocation)

        let report = try checkJSON(sandbox, extra, sourceLocation: sourceLocation)
        #expect(report.status == 30, sourceLocation: sourceLocation)
        #expect(report.check["ok"] as? Bool == false, sourceLocation: sourceLocation)
        #expect(report.problems.count == 1, "\(report.problems)", sourceLocation: sourceLocation)
        let problem = try #require(report.problems.first, sourceLocation: sourceLocation)
        #expect(problem["profile"] as? String == profile, sourceLocation: sourceLocation)
        #expect(problem["problem"] as? String == code, sourceLocation: sourceLocation)
        #expect((problem["detail"] as? String)?.hasPrefix(detail) == true, "\(problem)", sourceLocation: sourceLocation)
    }

    @Test("all profiles healthy: exit 0 and 'check: ok', and check.ok true with no problems in JSON")
    func allOK() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        try sandbox.importProfile("admin")
        let text = try sandbox.run(["status", "--check"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.stdout.hasSuffix("check: ok (warning 7 days before refresh tokens expire)\n"))
        let report = try checkJSON(sandbox)
        #expect(report.status == 0)
        #expect(report.check["ok"] as? Bool == true)
        #expect(report.check["warn_days"] as? Int == 7)
        #expect(report.problems.isEmpty)
        #expect(try checkJSON(sandbox, ["--warn-days", "3"]).check["warn_days"] as? Int == 3)
    }

    @Test("without --check, status exits 0 and prints no check report whatever the state")
    func withoutCheck() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        try edit(sandbox, "p") { $0.refreshState.reauthenticationRequired = true }
        let text = try sandbox.expectSuccess(["status"])
        #expect(!text.stdout.contains("check:"))
        let json = try sandbox.expectSuccess(["status", "--json"])
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(decoded["check"] == nil)
    }

    @Test("a profile whose refresh token was refused exits 30 with reauth_required")
    func reauthRequired() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        try sandbox.importProfile("admin")
        try edit(sandbox, "admin") {
            $0.refreshState.reauthenticationRequired = true
            $0.refreshState.lastError = "invalid_grant: refresh token revoked"
        }
        try expectProblem(sandbox, "reauth_required", profile: "admin", detail: "refresh token refused: re-authenticate and re-import")
    }

    @Test("a profile whose OAuth client was refused exits 30 with client_rejected")
    func clientRejected() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("admin")
        try edit(sandbox, "admin") {
            $0.refreshState.clientRejected = true
            $0.refreshState.lastError = "invalid_client: unknown client"
        }
        try expectProblem(sandbox, "client_rejected", profile: "admin", detail: "OAuth client refused: register again and re-import")
    }

    @Test("an expired access token whose last refresh failed exits 30 with expired_unrefreshed")
    func expiredUnrefreshed() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("admin")
        let now = now
        try edit(sandbox, "admin") {
            $0.expiresAt = now - 600
            $0.refreshState.consecutiveFailures = 1
            $0.refreshState.lastError = "transient: HTTP 503"
            $0.refreshState.lastErrorAt = now - 60
        }
        try expectProblem(sandbox, "expired_unrefreshed", profile: "admin", detail: "access token expired and the last refresh failed")
    }

    @Test("an expired access token with no failure recorded passes: it refreshes on next use")
    func expiredWillRefresh() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("admin")
        let now = now
        try edit(sandbox, "admin") { $0.expiresAt = now - 600 }
        let text = try sandbox.run(["status", "--check"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.stdout.contains("expired 10m ago"))
        #expect(text.stdout.contains("check: ok"))
        let report = try checkJSON(sandbox)
        #expect(report.status == 0)
        let profile = try #require((report.json["profiles"] as? [[String: Any]])?.first)
        #expect((profile["access_token"] as? [String: Any])?["state"] as? String == "expired")
    }

    @Test("a refresh token expiring within --warn-days exits 30 with refresh_token_expiring; a shorter window passes")
    func refreshTokenExpiring() throws {
        let sandbox = try Sandbox()
        let json = #"{"access_token":"\#(secretMarker)-at","expires_in":3600,"refresh_token":"\#(secretMarker)-rt"}"#
        try sandbox.expectSuccess(
            ["import", "admin", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c", "--refresh-lifetime", "3d"],
            stdin: json)
        try expectProblem(sandbox, "refresh_token_expiring", profile: "admin",
                          detail: "refresh token expires in ", ["--warn-days", "7"])
        let report = try checkJSON(sandbox, ["--warn-days", "7"])
        #expect(report.check["warn_days"] as? Int == 7)
        let detail = try #require(report.problems.first?["detail"] as? String)
        #expect(["refresh token expires in 2d23h: re-authenticate before then",
                 "refresh token expires in 3d00h: re-authenticate before then"].contains(detail))

        let narrow = try sandbox.run(["status", "--check", "--warn-days", "1"])
        #expect(narrow.status == 0, "\(narrow.output)")
        #expect(narrow.stdout.contains("check: ok (warning 1 day before refresh tokens expire)"))
        let narrowJSON = try checkJSON(sandbox, ["--warn-days", "1"])
        #expect(narrowJSON.status == 0)
        #expect(narrowJSON.check["warn_days"] as? Int == 1)
        let profile = try #require((narrowJSON.json["profiles"] as? [[String: Any]])?.first)
        #expect((profile["refresh_token"] as? [String: Any])?["expiry_known"] as? Bool == true)
    }

    @Test("a refresh token past its expiry exits 30 as expired")
    func refreshTokenExpired() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("admin")
        let now = now
        try edit(sandbox, "admin") { $0.refreshTokenExpiresAt = now - 60 }
        try expectProblem(sandbox, "refresh_token_expiring", profile: "admin",
                          detail: "refresh token expired: re-authenticate and re-import")
    }

    @Test("a refresh token of unknown expiry is reported as unknown (expiry_known false) without failing the check")
    func unknownRefreshExpiry() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("admin")
        let text = try sandbox.run(["status", "--check"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.stdout.contains("check: admin: refresh token expiry unknown"))
        #expect(text.stdout.contains("track it with 'tokenvault set admin --refresh-lifetime 30d'"))
        #expect(text.stdout.hasSuffix("check: ok (warning 7 days before refresh tokens expire)\n"))
        let report = try checkJSON(sandbox)
        #expect(report.status == 0)
        #expect(report.problems.isEmpty)
        let profile = try #require((report.json["profiles"] as? [[String: Any]])?.first)
        let refresh = try #require(profile["refresh_token"] as? [String: Any])
        #expect(refresh["present"] as? Bool == true)
        #expect(refresh["expiry_known"] as? Bool == false)
        #expect(refresh["expires_at"] is NSNull)
    }

    @Test("several problems on several profiles are all listed, each with its profile")
    func severalProblems() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("a")
        try sandbox.importProfile("b")
        try sandbox.importProfile("fine")
        try edit(sandbox, "a") { $0.refreshState.reauthenticationRequired = true }
        try edit(sandbox, "b") { $0.refreshState.clientRejected = true }
        let text = try sandbox.run(["status", "--check"])
        #expect(text.status == 30)
        #expect(text.stdout.hasSuffix("check: 2 problems\n"))
        let report = try checkJSON(sandbox)
        let pairs = report.problems.map { "\($0["profile"] as? String ?? "?"):\($0["problem"] as? String ?? "?")" }
        #expect(pairs == ["a:reauth_required", "b:client_rejected"])
        // Naming a healthy profile checks only that one.
        #expect(try sandbox.run(["status", "fine", "--check"]).status == 0)
    }
}
