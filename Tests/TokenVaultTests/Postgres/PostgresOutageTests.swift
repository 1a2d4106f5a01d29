import Foundation
import Testing
@testable import TokenVault

private func expiredJSON(_ name: String) -> String {
    #"{"access_token":"\#(secretMarker)-old-\#(name)","refresh_token":"\#(secretMarker)-refresh-\#(name)","expires_in":-10}"#
}

private func goodAnswer(_ name: String, after delay: Double = 0) -> FaultServer.Behavior {
    let answer = FaultServer.json(200, #"{"access_token":"\#(secretMarker)-new-\#(name)","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(secretMarker)-next-\#(name)"}"#)
    return delay > 0 ? .delay(seconds: delay, then: answer) : answer
}

private func waitFor(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < deadline else { return false }
        usleep(5_000)
    }
    return true
}

/// PostgreSQL stopped, restarted, or a connection ended by the administrator: nothing lost,
/// nothing torn, errors with the transient exit code, recovery afterwards. Each test has a
/// server of its own.
@Suite("a PostgreSQL vault through outages", .serialized)
struct PostgresOutageTests {
    enum Fault: String, CaseIterable { case terminateBackend, restart }

    func inject(_ fault: Fault, _ sandbox: PostgresSandbox, host: String) throws {
        switch fault {
        case .terminateBackend: #expect(try sandbox.server.terminateBackends(applicationName: sandbox.applicationName(host: host)) >= 1)
        case .restart: try sandbox.server.restart()
        }
    }

    @Test("the database goes away in the middle of a refresh: the holder seals when it is back, one request, the chain kept", arguments: Fault.allCases)
    func duringRefresh(_ fault: Fault) throws {
        let server = try FaultServer([goodAnswer("p", after: 2)])
        let sandbox = try PostgresSandbox(server: try PostgresServer())
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: expiredJSON("p"))

        let holder = try HostProcess(["token", "p"], environment: sandbox.environment(host: "a"))
        try #require(waitFor { server.requests.count == 1 }, "no request was sent")
        try inject(fault, sandbox, host: "a")
        let result = holder.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(secretMarker)-new-p\n")
        #expect(server.requests.count == 1)
        let status = try sandbox.expectSuccess(["status", "p", "--json"], host: "b")
        #expect(status.stdout.contains(Secret(copying: "\(secretMarker)-next-p").fingerprint), "the rotated refresh token was not sealed")
        #expect(try sandbox.run(["token", "p"], host: "b").stdout == "\(secretMarker)-new-p\n")
    }

    @Test("the database goes away during writes from two hosts: every write reported done is there, the others exit 23, the vault opens", arguments: Fault.allCases)
    func duringWrites(_ fault: Fault) throws {
        let sandbox = try PostgresSandbox(server: try PostgresServer())
        final class Outcomes: @unchecked Sendable {
            let lock = NSLock()
            var done: [String] = []
            var failed: [RunResult] = []
        }
        let outcomes = Outcomes()
        let group = DispatchGroup()
        for host in ["a", "b"] {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                for k in 0..<25 {
                    let name = "\(host)\(k)"
                    guard let result = try? sandbox.importProfile(name, host: host) else { continue }
                    outcomes.lock.withLock {
                        if result.status == 0 { outcomes.done.append(name) } else { outcomes.failed.append(result) }
                    }
                }
            }
        }
        #expect(waitFor { outcomes.lock.withLock { outcomes.done.count >= 6 } })
        for host in ["a", "b"] where fault == .terminateBackend { _ = try sandbox.server.terminateBackends(applicationName: sandbox.applicationName(host: host)) }
        if fault == .restart { try sandbox.server.restart() }
        group.wait()

        for failure in outcomes.failed {
            #expect(failure.status == 23, "\(failure.stderr)")
            #expect(failure.stderr.contains(sandbox.vaultName), "the error does not name the vault: \(failure.stderr)")
        }
        let listed = try sandbox.expectSuccess(["list"], host: "c").stdout.split(separator: "\n").map(String.init)
        #expect(Set(outcomes.done).isSubset(of: Set(listed)), "a write reported done is missing")
        #expect(outcomes.done.count + outcomes.failed.count == 50)
        #expect(try sandbox.importProfile("after", host: "c").status == 0)
    }

    @Test("a long-running store whose connection the administrator ended, or whose server restarted, writes and reads on a new one", arguments: Fault.allCases)
    func betweenWrites(_ fault: Fault) throws {
        let sandbox = try PostgresSandbox(server: try PostgresServer())
        let store = try sandbox.store()
        try store.update { profiles, _ in profiles["a"] = try Self.profile("a") }
        try inject(fault, sandbox, host: "library")
        try store.update { profiles, _ in profiles["b"] = try Self.profile("b") }
        #expect(try store.read().profiles.keys.sorted() == ["a", "b"])
        #expect(try sandbox.expectSuccess(["list"], host: "c").stdout == "a\nb\n")
    }

    static func profile(_ name: String) throws -> TokenProfile {
        TokenProfile(
            accessToken: Secret(copying: "\(secretMarker)-access-\(name)"), refreshToken: Secret(copying: "\(secretMarker)-refresh-\(name)"),
            expiresAt: WallClock.now + 3600, importedAt: WallClock.now,
            binding: RefreshBinding(tokenEndpoint: "https://auth.example.com/token", clientID: "client-\(name)")
        )
    }

    @Test("PostgreSQL stopped: a running TokenManager keeps serving its valid token; token with nothing in memory exits 23; all works again once it is back")
    func stopped() async throws {
        let sandbox = try PostgresSandbox(server: try PostgresServer())
        try #require(try sandbox.importProfile("valid").status == 0)
        let tokens = TokenManager(store: try sandbox.store())
        #expect(try await tokens.accessToken(for: "valid") == "\(secretMarker)-access-valid")

        sandbox.server.stop()
        // Past the revalidation interval: the version check fails, the token in memory is still valid.
        try await Task.sleep(for: .seconds(5.5))
        #expect(try await tokens.accessToken(for: "valid") == "\(secretMarker)-access-valid")

        let cli = try sandbox.run(["token", "valid"], host: "b")
        #expect(cli.status == 23, "\(cli.stderr)")
        #expect(cli.stdout.isEmpty)
        #expect(cli.stderr.contains(sandbox.vaultName))

        try sandbox.server.start()
        #expect(try sandbox.run(["token", "valid"], host: "b").stdout == "\(secretMarker)-access-valid\n")
    }

    @Test("a refresh whose seal fails while PostgreSQL is down keeps its tokens in memory and seals them first when it is back")
    func sealWhileDown() async throws {
        let server = try FaultServer([goodAnswer("p", after: 1.5)])
        let sandbox = try PostgresSandbox(server: try PostgresServer())
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: expiredJSON("p"))
        let tokens = TokenManager(store: try sandbox.store(), limits: HTTPLimits(connectTimeout: 2, totalTimeout: 5))

        let refresh = Task { try await tokens.accessToken(for: "p") }
        try #require(waitFor { server.requests.count == 1 }, "no request was sent")
        sandbox.server.stop()
        await #expect {
            try await refresh.value
        } throws: { error in
            guard case RefreshError.sealFailed(profile: "p", cause: .database(_, .unavailable)) = error else { return false }
            return true
        }

        try sandbox.server.start()
        #expect(try await tokens.accessToken(for: "p") == "\(secretMarker)-new-p")
        #expect(server.requests.count == 1, "the spent refresh token was presented again")
        let status = try sandbox.expectSuccess(["status", "p", "--json"], host: "b")
        #expect(status.stdout.contains(Secret(copying: "\(secretMarker)-next-p").fingerprint))
    }
}
