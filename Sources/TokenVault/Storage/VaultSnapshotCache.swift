import Synchronization

/// The last version of the vault a `VaultStore` opened or sealed, with the version it had, shared
/// by every copy of that store (and so by a `TokenManager` and its refreshes). A writer that finds
/// the same version under the writer lock starts from this snapshot instead of decrypting the
/// vault again; any other version (another process wrote, the file was restored or replaced) reads
/// the vault as before.
final class VaultSnapshotCache: Sendable {
    private struct State {
        var snapshot: VaultSnapshot?
        var opened = 0
        var highestSeen: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The snapshot of `version`, if that is the one kept.
    func snapshot(matching version: VaultVersion?) -> VaultSnapshot? {
        guard let version else { return nil }
        return state.withLock { state in state.snapshot.flatMap { $0.version == version ? $0 : nil } }
    }

    /// The highest generation this store has opened or sealed so far.
    var highestSeen: UInt64 { state.withLock { $0.highestSeen } }

    /// Records `generation` as seen (opened or sealed) by this store, and returns `floor` when
    /// `generation` is older: a vault restored from an older copy while this process ran, which
    /// must not hand out refresh tokens that were spent since. `floor` is the highest generation
    /// seen before the read began (`highestSeen` then): a read that overlapped another thread's
    /// read of a newer version got what was current when it began, which is no rollback.
    func admit(_ generation: UInt64, floor: UInt64) -> UInt64? {
        state.withLock { state in
            if generation < floor { return floor }
            state.highestSeen = max(state.highestSeen, generation)
            return nil
        }
    }

    /// Keeps `snapshot` (`nil`: forgets the one kept).
    func keep(_ snapshot: VaultSnapshot?) {
        state.withLock { $0.snapshot = snapshot }
    }

    /// The most separate guarded allocations a kept snapshot may pin. Profiles opened from the
    /// vault share one; a profile a caller built holds its own for each secret (three mappings
    /// each, and a process has at most `vm.max_map_count`, 65,530 by default). A snapshot over
    /// this is not kept, so the next write opens the vault again and its profiles share one
    /// allocation again.
    static let allocationLimit = 1024

    /// Whether `profiles` hold their secrets in at most `allocationLimit` separate allocations.
    static func fitsAllocationLimit(_ profiles: [String: TokenProfile]) -> Bool {
        var buffers = Set<ObjectIdentifier>(minimumCapacity: allocationLimit + 3)
        for profile in profiles.values {
            if let secret = profile.accessToken { buffers.insert(ObjectIdentifier(secret.buffer)) }
            if let secret = profile.refreshToken { buffers.insert(ObjectIdentifier(secret.buffer)) }
            if let secret = profile.binding.clientSecret { buffers.insert(ObjectIdentifier(secret.buffer)) }
            if buffers.count > allocationLimit { return false }
        }
        return true
    }

    /// Counts a vault opened under the writer lock: the work the cache saves when it matches.
    func countOpened() {
        state.withLock { $0.opened += 1 }
    }

    /// How many times a writer of this store opened the vault under the writer lock.
    var openedUnderLock: Int { state.withLock { $0.opened } }
}
