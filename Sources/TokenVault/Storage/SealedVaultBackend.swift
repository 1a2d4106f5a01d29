/// Where a vault's sealed bytes live, apart from what they mean: `VaultStore` opens, checks,
/// merges and seals; a backend keeps one sealed version, says which version it is, and provides
/// the locks writers and refreshes serialize on. `FileVaultBackend` keeps them in a file beside
/// its lock files; a database backend would keep the same bytes in a row, replaced by a
/// compare-and-swap on the version, with leases for the locks.
///
/// A backend never sees a key or a plaintext: only bytes that are already sealed.
protocol SealedVaultBackend: Sendable {
    /// Names the vault in messages and logs (the file backend: its path).
    var description: String { get }

    /// The sealed bytes of the current version and which version they are, or `nil` when there
    /// is no vault. Refuses bytes no reader would open (a bad header, a length outside the
    /// format's limits) before holding a buffer of their size.
    func readSealed() throws(VaultError) -> SealedVersion?

    /// Which version is current, without reading it: cheap enough for every cached read.
    /// `nil` when there is no vault.
    func currentVersion() -> VaultVersion?

    /// Takes the writer lock, waiting up to `timeout` seconds; held until the returned lock goes
    /// away. A holder that outlasts `timeout` is `VaultError.busy`.
    func lockWriter(timeout: Double) throws(VaultError) -> any VaultLock

    /// Takes `profile`'s refresh lock, held across a whole token-endpoint exchange so that each
    /// refresh token is spent once, without holding up writes to other profiles. A backend whose
    /// waiters poll may ask `done` between attempts and return `nil` when it answers true: what
    /// the caller waited for (another holder's refresh) is in the vault, and no lock is needed.
    func lockProfile(_ profile: String, timeout: Double, unlessMeanwhile done: () -> Bool) throws(VaultError) -> (any VaultLock)?

    /// Housekeeping before a write, under the writer lock (the file backend removes the temp
    /// files of writers killed before their rename).
    func prepareForWrite()

    /// Replaces the sealed bytes atomically (a reader sees the old version or the new, never a
    /// mix) and durably, if the current version is still `expected` (`nil`: there is none yet);
    /// returns the new version, or `nil` when it cannot tell (then the next write reads
    /// the vault again). Called under the writer lock. The file backend does not compare: every
    /// writer of the file holds the writer lock, so under it the version read is still current.
    /// The PostgreSQL backend takes no writer lock and compares: another writer's version in
    /// between is `VaultError.versionConflict`, and the store reads and applies its change again.
    func replace(with bytes: [UInt8], expected: VaultVersion?) throws(VaultError) -> VaultVersion?

    /// Replaces the sealed bytes as `replace(with:expected:)` does, with a version of `size` bytes
    /// that `produce` hands over in pieces as it seals them: it calls the function it is given
    /// with each piece and the piece's offset, every byte once, in any order. Lets the file
    /// backend write a large vault out while the rest of it is still being sealed.
    func replace(
        size: Int, expected: VaultVersion?,
        producing produce: (_ write: (_ offset: Int, _ piece: UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws(VaultError) -> VaultVersion?

    /// The highest generation a writer on this host has sealed into this vault, `nil` when none
    /// is recorded. Not authenticated: it only ever raises a warning.
    func highestGenerationWritten() -> UInt64?

    /// Records `generation` as the highest written, under the writer lock. Best effort: a
    /// failure is logged, and only loses a warning.
    func recordGeneration(_ generation: UInt64)

    /// Creates whatever must exist before the first version can be written (the file backend:
    /// the vault's folder, 0700, with its missing parents; the PostgreSQL backend: its tables).
    func createLocation() throws(VaultError)

    /// Whether a store refuses a version older than one it has already seen
    /// (`VaultError.rolledBack`). The file backend does not: its rollback record outlives the
    /// process (`highestGenerationWritten`), and a restored file is accepted with every profile
    /// marked as possibly spent. The PostgreSQL backend keeps no such record (it would be
    /// restored with the row), so a process's memory is the fence.
    var refusesRollback: Bool { get }

    /// How long a version checked is taken as current for a token that needs no refresh, in
    /// seconds: 0 when `currentVersion()` is cheap (a `stat`), more when it is a round trip.
    var revalidationInterval: Double { get }
}

/// One sealed version of the vault as a backend holds it.
struct SealedVersion {
    var bytes: [UInt8]
    /// Which version these bytes are: the same version later means the same bytes.
    let version: VaultVersion
}

/// A lock a backend holds for its caller until this value goes away.
protocol VaultLock: AnyObject {
    /// Called just before a request that spends a secret (a refresh token) is sent: confirms the
    /// lock is still this process's, and makes it last at least `seconds` from now even if this
    /// process dies meanwhile, so that nobody else sends while that request may still arrive.
    /// Throws `VaultError.leaseLost` when it cannot confirm; then nothing may be sent.
    func confirm(holdingFor seconds: Double) throws(VaultError)

    /// The request confirmed last was answered (or never left): the lock may end when it is
    /// released. Without this, a released lock lasts until the time `confirm` set.
    func answered()
}

/// The writer lock of a file vault guards no request: nothing to confirm. (A refresh lock is a
/// `RefreshFileLock`.)
extension FileLock: VaultLock {
    func confirm(holdingFor seconds: Double) throws(VaultError) {}
    func answered() {}
}

/// For backends whose writes need no lock: each is a compare-and-swap on the version.
final class NoVaultLock: VaultLock {
    func confirm(holdingFor seconds: Double) throws(VaultError) {}
    func answered() {}
}
