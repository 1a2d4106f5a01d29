import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A refresh lock across hosts: a row of `tokenvault_leases` naming its holder and when it
/// expires, by the database's clock (so hosts' clocks need not agree).
///
/// Taken only when no row exists or the row has expired; renewed every `renewal` seconds while
/// its holder lives; confirmed (and extended to cover the whole request) just before a refresh
/// token is sent; deleted on release, unless a request was sent and no answer came back: then it
/// stays until the time that confirmation set, by which that request can no longer arrive.
/// A holder that dies leaves the row to expire: nobody can take over while a request it sent
/// may still reach the token endpoint (SECURITY.md, "Refresh lease").
final class PostgresLease: VaultLock, Sendable {
    private let backend: PostgresVaultBackend
    private let lease: String
    private let holder: String
    private let state = Mutex(State())

    private struct State {
        var released = false
        /// A request was confirmed and has no answer yet.
        var awaitingAnswer = false
    }

    /// How long a lease lasts without renewal, and how often it is renewed.
    static let duration = 15.0
    static let renewal = 5.0
    private let duration: Double
    private let renewal: Double

    /// Takes the lease, waiting up to `timeout` seconds while another holder has it; `nil` when
    /// `done` answers true between attempts (what the caller waited for happened meanwhile).
    init?(
        backend: PostgresVaultBackend, lease: String, timeout: Double,
        duration: Double = PostgresLease.duration, renewal: Double = PostgresLease.renewal,
        unlessMeanwhile done: () -> Bool = { false }
    ) throws(VaultError) {
        self.backend = backend
        self.lease = lease
        self.duration = duration
        self.renewal = renewal
        holder = Self.holderName()
        let deadline = MonotonicClock.now + timeout
        var pause = 0.005
        while try !tryAcquire() {
            guard MonotonicClock.now < deadline else {
                throw .busy(path: backend.description, waitedSeconds: Int(timeout))
            }
            if done() { return nil }
            MonotonicClock.sleep(seconds: pause * (0.5 + Double(Sodium.randomUInt32(below: 1000)) / 1000))
            pause = min(pause * 1.5, 0.05)
        }
        scheduleRenewal()
    }

    deinit {
        let keep = state.withLock { state -> Bool in
            state.released = true
            return state.awaitingAnswer
        }
        guard !keep else { return }
        // Best effort: a lease that cannot be deleted now expires by itself.
        _ = try? backend.run(
            "DELETE FROM tokenvault_leases WHERE vault = $1 AND lease = $2 AND holder = $3",
            parameters, idempotent: true
        )
    }

    private var parameters: [PostgresConnection.Parameter] {
        [.text(backend.address.vaultName), .text(lease), .text(holder)]
    }

    private func tryAcquire() throws(VaultError) -> Bool {
        let rows = try backend.run("""
            INSERT INTO tokenvault_leases AS held (vault, lease, holder, expires_at)
            VALUES ($1, $2, $3, clock_timestamp() + $4::double precision * interval '1 second')
            ON CONFLICT (vault, lease) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
            WHERE held.expires_at <= clock_timestamp()
            """, parameters + [.text(String(duration))], idempotent: false)
        return rows.affected == 1
    }

    /// Moves the expiry to at least `seconds` from now, if this process still holds the lease.
    private func extend(by seconds: Double) throws(VaultError) -> Bool {
        let rows = try backend.run("""
            UPDATE tokenvault_leases
            SET expires_at = greatest(expires_at, clock_timestamp() + $4::double precision * interval '1 second')
            WHERE vault = $1 AND lease = $2 AND holder = $3 AND expires_at > clock_timestamp()
            """, parameters + [.text(String(seconds))], idempotent: true)
        return rows.affected == 1
    }

    func confirm(holdingFor seconds: Double) throws(VaultError) {
        let held: Bool
        do {
            held = try extend(by: seconds)
        } catch {
            throw .leaseLost(path: backend.description, detail: "\(error)")
        }
        guard held else { throw .leaseLost(path: backend.description, detail: "another process took it after it expired") }
        state.withLock { $0.awaitingAnswer = true }
    }

    func answered() {
        state.withLock { $0.awaitingAnswer = false }
    }

    private func scheduleRenewal() {
        DispatchQueue.global().asyncAfter(deadline: .now() + renewal) { [weak self] in
            guard let self, !self.state.withLock({ $0.released }) else { return }
            do {
                if try !self.extend(by: self.duration) {
                    self.backend.logger.warning("a refresh lease expired before it was renewed", metadata: [
                        "vault": "\(self.backend.description)", "lease": "\(self.lease)",
                    ])
                    return
                }
            } catch {
                // The next renewal tries again; a confirmation before sending fails meanwhile.
                self.backend.logger.warning("could not renew a refresh lease", metadata: [
                    "vault": "\(self.backend.description)", "lease": "\(self.lease)", "error": "\(error)",
                ])
            }
            self.scheduleRenewal()
        }
    }

    /// This host, this process, and a random part: two leases of one process are two holders.
    private static func holderName() -> String {
        var host = [CChar](repeating: 0, count: 256)
        let name = gethostname(&host, host.count - 1) == 0
            ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return "\(PrintableText.clean(name, limit: 64)):\(getpid()):\(Sodium.randomBytes(count: 4).hexString)"
    }
}
