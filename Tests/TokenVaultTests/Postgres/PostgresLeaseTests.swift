import Foundation
import Testing
@testable import TokenVault

/// PostgresLease against a real database: who may take a lease, and how long it lasts.
@Suite("PostgreSQL refresh leases")
struct PostgresLeaseTests {
    let sandbox: PostgresSandbox
    let backend: PostgresVaultBackend

    init() throws {
        sandbox = try PostgresSandbox()
        _ = try sandbox.store()
        backend = PostgresVaultBackend(address: try sandbox.libraryAddress(), logger: .init(label: "test"))
    }

    /// A second backend: another process's connection.
    func other() throws -> PostgresVaultBackend {
        PostgresVaultBackend(address: try sandbox.libraryAddress(), logger: .init(label: "test"))
    }

    func take(_ backend: PostgresVaultBackend, timeout: Double, duration: Double = 15, renewal: Double = 100) throws -> PostgresLease {
        try #require(try PostgresLease(backend: backend, lease: "refresh:p", timeout: timeout, duration: duration, renewal: renewal))
    }

    func expectBusy(_ backend: PostgresVaultBackend, timeout: Double = 0, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) { _ = try take(backend, timeout: timeout) } throws: { error in
            if case VaultError.busy = error { return true } else { return false }
        }
    }

    /// Seconds until the lease row expires, by the database's clock; nil without a row.
    func remaining() throws -> Double? {
        Double(try sandbox.psql(
            "SELECT extract(epoch FROM expires_at - clock_timestamp()) FROM tokenvault_leases WHERE vault = '\(sandbox.vaultName)';"))
    }

    @Test("a lease is taken only while no other holder's lease is unexpired, and released at once when its request was answered")
    func exclusive() throws {
        var first: PostgresLease? = try take(backend, timeout: 1)
        expectBusy(try other(), timeout: 0.3)
        first?.answered()
        first = nil
        #expect(try remaining() == nil, "the released lease's row is still there")
        _ = try take(try other(), timeout: 0)
    }

    @Test("an expired lease is taken over, and its old holder can no longer confirm it")
    func expiredTakenOver() throws {
        let first = try take(backend, timeout: 1, duration: 1)
        let started = Date()
        let second = try take(try other(), timeout: 5)
        #expect(Date().timeIntervalSince(started) >= 0.9, "taken before the first lease expired")
        #expect { try first.confirm(holdingFor: 10) } throws: { error in
            if case VaultError.leaseLost = error { return true } else { return false }
        }
        try second.confirm(holdingFor: 10)
    }

    @Test("confirming a lease extends it to cover the request")
    func confirmExtends() throws {
        let lease = try take(backend, timeout: 1, duration: 1)
        try lease.confirm(holdingFor: 4)
        #expect(try #require(try remaining()) > 3.5)
        Thread.sleep(forTimeInterval: 1.5)
        expectBusy(try other())
    }

    @Test("a lease whose confirmed request got no answer outlives its release until the confirmed expiry")
    func unansweredSurvivesRelease() throws {
        var lease: PostgresLease? = try take(backend, timeout: 1, duration: 1)
        try lease?.confirm(holdingFor: 3)
        let confirmed = Date()
        lease = nil
        #expect(try remaining() != nil, "the row went with the release")
        expectBusy(try other())
        _ = try take(try other(), timeout: 10)
        #expect(Date().timeIntervalSince(confirmed) >= 2.9, "taken before the unanswered request's time was up")
    }

    @Test("renewal keeps a living holder's lease past its duration")
    func renewal() throws {
        let lease = try take(backend, timeout: 1, duration: 1, renewal: 0.3)
        Thread.sleep(forTimeInterval: 2.5)
        expectBusy(try other())
        try lease.confirm(holdingFor: 1)
    }
}
