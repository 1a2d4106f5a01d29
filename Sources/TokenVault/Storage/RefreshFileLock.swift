import SystemPackage

/// A profile's refresh lock on a file vault: the `flock` on its lock file, which ends with its
/// holder, and in the file the time until which a request its holder sent may still reach the
/// token endpoint. A process that is about to send while a previous holder's time is ahead (that
/// holder died after sending, or gave up on an answer, and the request may sit in a proxy's
/// queue) waits for it first, as a PostgreSQL vault's lease makes it (SECURITY.md, "Refresh
/// lease"). Only a sender waits: a caller that finds the refresh done, or backing off, does not.
///
/// The record is 20 decimal digits of the monotonic clock's nanoseconds (the same for every
/// process of the host) and a newline, or nothing; not synced: a reboot ends every request.
final class RefreshFileLock: VaultLock {
    private let lock: FileLock
    /// Whether the record is this holder's own (written by its `confirm`).
    private var recorded = false

    /// The longest a record can matter: a request's connect and total timeouts at their
    /// largest, and the margin. A record further ahead is not one TokenVault wrote.
    static let longestRecord = 620.0

    init(_ location: VaultLocation, profile: String, timeout: Double) throws(VaultError) {
        lock = try location.lock(location.refreshLockPath(for: profile), timeout: timeout)
    }

    func confirm(holdingFor seconds: Double) throws(VaultError) {
        if !recorded, let until = readRecord() {
            let wait = until - MonotonicClock.now
            if wait > 0, wait <= Self.longestRecord { MonotonicClock.sleep(seconds: wait) }
        }
        writeRecord(MonotonicClock.now + seconds)
        recorded = true
    }

    func answered() {
        writeRecord(nil)
    }

    private func readRecord() -> Double? {
        LockFileRecord.read(from: lock.descriptor).map { Double($0) / 1e9 }
    }

    /// Best effort: a record that cannot be written only loses the wait it would have caused.
    private func writeRecord(_ until: Double?) {
        let bytes = until.map { LockFileRecord.encode(UInt64(max(0, $0) * 1e9)) } ?? []
        _ = try? bytes.withUnsafeBytes { try lock.descriptor.write(toAbsoluteOffset: 0, $0) }
        _ = try? lock.descriptor.resize(to: Int64(bytes.count))
    }
}
