import Foundation
import SystemPackage
import Testing
@testable import TokenVault

private func expiredJSON(_ name: String) -> String {
    #"{"access_token":"\#(secretMarker)-old-\#(name)","refresh_token":"\#(secretMarker)-refresh-\#(name)","expires_in":-10}"#
}

private func goodAnswer(_ name: String) -> FaultServer.Behavior {
    FaultServer.json(200, #"{"access_token":"\#(secretMarker)-new-\#(name)","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(secretMarker)-next-\#(name)"}"#)
}

private func manager(_ sandbox: Sandbox, lockTimeout: Double = 60) throws -> TokenManager {
    var store = VaultStore(location: VaultLocation(path: FilePath(sandbox.vault)), keys: try KeyRing.load(keyfile: FilePath(sandbox.keyfile)))
    store.lockTimeout = lockTimeout
    return TokenManager(store: store, limits: HTTPLimits(connectTimeout: 2, totalTimeout: 5))
}

@Suite("refresh concurrency in one process and across profiles")
struct RefreshConcurrencyTests {
    @Test("fifty concurrent callers in one process share a single refresh")
    func singleFlight() async throws {
        let server = try FaultServer([.delay(seconds: 0.3, then: goodAnswer("p"))])
        let sandbox = try Sandbox()
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: expiredJSON("p"))
        let tokens = try manager(sandbox)
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await tokens.accessToken(for: "p") } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(results == ["\(secretMarker)-new-p"])
        #expect(server.requests.count == 1)
    }

    @Test("a token a 401 brought that is rejected again at once is a loop; rejected after a minute of service, it is refreshed again")
    func rejectionAfterService() async throws {
        let later = FaultServer.json(200, #"{"access_token":"\#(secretMarker)-later-p","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(secretMarker)-last-p"}"#)
        let server = try FaultServer([goodAnswer("p"), later])
        let sandbox = try Sandbox()
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: expiredJSON("p").replacingOccurrences(of: "-10", with: "3600"))
        let tokens = try manager(sandbox)
        let first = try await tokens.accessToken(for: "p")
        let second = try await tokens.accessToken(for: "p", rejected: first)
        #expect(second == "\(secretMarker)-new-p")
        do {
            _ = try await tokens.accessToken(for: "p", rejected: second)
            Issue.record("a token rejected right after the refresh a 401 forced was refreshed again")
        } catch RefreshError.rejectedAgain(let profile) {
            #expect(profile == "p")
        }
        #expect(server.requests.count == 1)
        // The token served for a minute, then the server revoked it: a new rejection, not a loop.
        tokens.cache.withLock { $0.refreshedAfterRejection["p"]?.at -= TokenManager.rejectionLoopWindow }
        let third = try await tokens.accessToken(for: "p", rejected: second)
        #expect(third == "\(secretMarker)-later-p")
        #expect(server.requests.count == 2)
    }

    @Test("a slow refresh of one profile holds up neither reading nor refreshing another")
    func profilesIndependent() throws {
        let slow = try FaultServer([.delay(seconds: 5, then: goodAnswer("slow"))])
        let fast = try FaultServer([goodAnswer("fast")])
        let sandbox = try Sandbox()
        try sandbox.expectSuccess(["import", "slow", "--token-endpoint", slow.tokenURL, "--client-id", "c"], stdin: expiredJSON("slow"))
        try sandbox.expectSuccess(["import", "fast", "--token-endpoint", fast.tokenURL, "--client-id", "c"], stdin: expiredJSON("fast"))
        try sandbox.importProfile("valid")

        let background = try launch(["token", "slow"], environment: sandbox.environment)
        defer { background.waitUntilExit() }
        while slow.requests.isEmpty { usleep(20_000) }  // the slow refresh is now in flight

        let read = try sandbox.run(["token", "valid"], secretOnStdout: true)
        #expect(read.status == 0)
        let refreshed = try sandbox.run(["token", "fast"], secretOnStdout: true)
        #expect(refreshed.status == 0)
        #expect(refreshed.stdout == "\(secretMarker)-new-fast\n")
        // Both finished while the slow refresh is still waiting for its answer: neither waited for it.
        #expect(background.isRunning, "the other profiles' calls did not finish before the slow refresh")
        background.waitUntilExit()
        #expect(background.terminationStatus == 0)
    }

    @Test("tokens that could not be sealed are kept in memory, not handed out, and sealed on the next call without a new request")
    func sealFailureKeepsTokens() async throws {
        let server = try FaultServer([goodAnswer("p")])
        let sandbox = try Sandbox()
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: expiredJSON("p"))
        let tokens = try manager(sandbox, lockTimeout: 0.3)

        // Another process holds the writer lock: the rotated pair cannot be sealed.
        let release = try sandbox.holdWriterLock()
        await #expect {
            try await tokens.accessToken(for: "p")
        } throws: { error in
            guard case RefreshError.sealFailed(profile: "p", cause: .busy) = error else { return false }
            return true
        }
        #expect(server.requests.count == 1)
        release()

        let token = try await tokens.accessToken(for: "p")
        #expect(token == "\(secretMarker)-new-p")
        #expect(server.requests.count == 1, "the spent refresh token was presented again")
        let status = try sandbox.expectSuccess(["status", "p", "--json"])
        #expect(status.stdout.contains(Secret(copying: "\(secretMarker)-next-p").fingerprint))
    }
}
