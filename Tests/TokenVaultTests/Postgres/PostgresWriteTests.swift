import Foundation
import Testing
@testable import TokenVault

/// Writes to a PostgreSQL vault from several hosts at once, and a row set back to an old copy.
@Suite("writes to a PostgreSQL vault from several hosts")
struct PostgresWriteTests {
    @Test("concurrent imports and removes from three hosts lose nothing; losers of the compare-and-swap apply their change again")
    func concurrentImportsAndRemoves() throws {
        let sandbox = try PostgresSandbox()
        let doomed = (0..<6).map { "old\($0)" }
        for name in doomed { try #require(try sandbox.importProfile(name).status == 0) }
        let generationBefore = try sandbox.generation()

        let hosts = ["a", "b", "c"]
        let debug = ["TOKENVAULT_LOG_LEVEL": "debug"]
        var launched: [(HostProcess, String)] = []
        for (index, host) in hosts.enumerated() {
            let environment = sandbox.environment(host: host).merging(debug) { $1 }
            for k in 0..<5 {
                let name = "new-\(host)\(k)"
                let json = #"{"access_token":"\#(secretMarker)-access-\#(name)","refresh_token":"\#(secretMarker)-refresh-\#(name)","expires_in":3600}"#
                let process = try HostProcess(["import", name, "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"],
                                              environment: environment, stdin: json)
                launched.append((process, "import \(name)"))
            }
            for name in doomed[(index * 2)..<(index * 2 + 2)] {
                launched.append((try HostProcess(["remove", name], environment: environment), "remove \(name)"))
            }
        }
        var retries = 0
        for (process, what) in launched {
            let result = process.finish()
            #expect(result.status == 0, "\(what): \(result.stderr)")
            retries += result.stderr.components(separatedBy: "applying the change again").count - 1
        }
        let expected = hosts.flatMap { host in (0..<5).map { "new-\(host)\($0)" } }.sorted()
        #expect(try sandbox.expectSuccess(["list"]).stdout.split(separator: "\n").map(String.init).sorted() == expected)
        // Each of the 21 changes made exactly one generation, and some writers lost a race and tried again.
        #expect(try sandbox.generation() == generationBefore + launched.count)
        #expect(retries > 0, "no writer ever lost the compare-and-swap: the writes did not overlap")
    }

    @Test("init run by eight processes at once on a database without tables: every vault is created")
    func concurrentInit() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        let key = TemporaryDirectory()
        try #require(try runProcess(tokenvaultExecutable, ["keygen", "--output", key.file("key")], environment: ["PATH": "/usr/bin:/bin"]).status == 0)
        let inits = try (0..<8).map { index in
            try HostProcess(["init"], environment: server.environment(as: .owner, database: database).merging([
                "PATH": "/usr/bin:/bin", "HOME": key.path, "TOKENVAULT_KEYFILE": key.file("key"),
                "TOKENVAULT_PATH": server.uri(.owner, database: database) + "?vault=v\(index)",
            ]) { $1 })
        }
        for result in inits.map({ $0.finish() }) {
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    @Test("threads of one store reading while other processes write never take a newer read for a rollback")
    func concurrentReadsAreNoRollback() throws {
        let sandbox = try PostgresSandbox()
        try #require(try sandbox.importProfile("first").status == 0)
        let store = try sandbox.store()
        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var failures: [String] = []
            var reads = 0
            var writing = true
        }
        let tally = Tally()
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while tally.lock.withLock({ tally.writing }) {
                    do {
                        _ = try store.read()
                        tally.lock.withLock { tally.reads += 1 }
                    } catch {
                        tally.lock.withLock { tally.failures.append("\(error)") }
                    }
                }
            }
        }
        for index in 0..<20 { #expect(try sandbox.importProfile("p\(index)", host: "writer").status == 0) }
        tally.lock.withLock { tally.writing = false }
        group.wait()
        #expect(tally.failures.isEmpty, "\(tally.failures.count) of \(tally.reads) reads failed; first: \(tally.failures.first ?? "")")
    }

    @Test("a store that has seen generation N refuses the row set back to an older copy")
    func rollbackRefused() async throws {
        let sandbox = try PostgresSandbox()
        try #require(try sandbox.importProfile("p").status == 0)
        try sandbox.psql("""
            CREATE TABLE saved_\(sandbox.vaultName) AS SELECT generation, sealed FROM tokenvault_vaults WHERE name = '\(sandbox.vaultName)';
            """)
        try #require(try sandbox.importProfile("q").status == 0)
        let store = try sandbox.store()
        let tokens = TokenManager(store: store)
        #expect(try tokens.currentProfile("q").refreshToken != nil)
        let seen = try sandbox.generation()

        try sandbox.psql("""
            UPDATE tokenvault_vaults SET (generation, sealed) = (SELECT generation, sealed FROM saved_\(sandbox.vaultName))
            WHERE name = '\(sandbox.vaultName)';
            """)
        let rolledBack = { (error: any Error) -> Bool in
            guard case VaultError.rolledBack(_, let generation, let highest) = error else { return false }
            return generation == UInt64(seen - 1) && highest == UInt64(seen)
        }
        #expect { try tokens.currentProfile("p") } throws: { rolledBack($0) }
        #expect { try store.read() } throws: { rolledBack($0) }
    }
}
