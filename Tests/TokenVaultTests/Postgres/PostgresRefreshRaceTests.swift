import Foundation
import Testing
@testable import TokenVault

/// Several hosts, one token chain: refreshes on a PostgreSQL vault against a real
/// authorization server that revokes the family when a spent refresh token comes back.
@Suite("refresh races across hosts on a PostgreSQL vault", .serialized)
struct PostgresRefreshRaceTests {
    @Test("3 hosts × 8 processes on one expired token: one refresh request, one token printed by all, the chain alive")
    func threeHostsEightProcesses() throws {
        let server = try OAuthServer()
        let sandbox = try PostgresSandbox()
        let seeded = try server.seedJSON(accessLifetime: -5)
        let imported = try sandbox.run(["import", "shared", "--token-endpoint", server.tokenEndpoint, "--client-id", "tokenvault-test",
                                        "--resource", server.resource], stdin: seeded)
        try #require(imported.status == 0, "\(imported.stderr)")
        try server.resetStats()
        let generationBefore = try sandbox.generation()

        let hosts = ["a", "b", "c"]
        let processes = try hosts.flatMap { host in
            try (0..<8).map { _ in try HostProcess(["token", "shared"], environment: sandbox.environment(host: host)) }
        }
        let results = processes.map { $0.finish() }
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let printed = Set(results.map(\.stdout))
        #expect(printed.count == 1, "the processes printed \(printed.count) different tokens")

        let stats = try server.stats()
        #expect(stats["token_requests"] as? Int == 1)
        #expect(stats["refresh_grants_ok"] as? Int == 1)
        #expect(stats["refresh_grants_failed"] as? Int == 0)
        let token = try #require(printed.first).trimmingCharacters(in: .newlines)
        #expect(try server.resourceAccepts(token))
        #expect(try sandbox.generation() == generationBefore + 1, "one refresh, one write")
        // The family is not revoked: the refresh token the vault now holds works at the server.
        let stored = try #require(try sandbox.store().read().profiles["shared"]?.refreshToken).unsafeStringValue()
        #expect(try server.spend(refreshToken: stored)["access_token"] != nil)
    }

    @Test("kill -9 of the lease holder in the middle of a refresh: another host sends only after the dead holder's request can no longer arrive")
    func killedHolder() throws {
        // The first request is never answered in time; the second is.
        let server = try FaultServer([
            .delay(seconds: 60, then: FaultServer.json(200, #"{"access_token":"\#(secretMarker)-late","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(secretMarker)-late-next"}"#)),
            FaultServer.json(200, #"{"access_token":"\#(secretMarker)-new","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(secretMarker)-next"}"#),
        ])
        let sandbox = try PostgresSandbox()
        let expired = #"{"access_token":"\#(secretMarker)-old","refresh_token":"\#(secretMarker)-refresh","expires_in":-10}"#
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: expired)
        // TOKENVAULT_HTTP_TIMEOUT=8: a request lives 8 + 8 + 5 s, longer than a lease without renewal (15 s).
        let timeout = ["TOKENVAULT_HTTP_TIMEOUT": "8"]
        let lifetime = 21.0

        let holder = try HostProcess(["token", "p"], environment: sandbox.environment(host: "a").merging(timeout) { $1 })
        let deadline = Date().addingTimeInterval(30)
        while server.requests.isEmpty, Date() < deadline { usleep(5_000) }
        let sentAt = Date()
        try #require(server.requests.count == 1, "the holder never sent its request")
        kill(holder.pid, SIGKILL)
        _ = holder.finish()

        let other = try HostProcess(["token", "p"], environment: sandbox.environment(host: "b").merging(timeout) { $1 })
        var secondAt: Date?
        while other.process.isRunning || secondAt == nil {
            if secondAt == nil, server.requests.count >= 2 { secondAt = Date() }
            if !other.process.isRunning, secondAt == nil { break }
            usleep(5_000)
        }
        let result = other.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(secretMarker)-new\n")
        let waited = try #require(secondAt).timeIntervalSince(sentAt)
        #expect(waited >= lifetime - 0.1, "another host sent \(waited) s after the dead holder's request, before it could no longer arrive")
        #expect(server.requests.count == 2)
        let status = try sandbox.expectSuccess(["status", "p", "--json"], host: "c")
        #expect(status.stdout.contains(#""state":"ok""#))
        #expect(status.stdout.contains(Secret(copying: "\(secretMarker)-next").fingerprint))
    }
}
