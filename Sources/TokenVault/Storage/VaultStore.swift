import Logging
import SystemPackage

/// Reads and writes one vault: opens and checks it, merges each writer's change into the version
/// current under the writer lock, and seals the next generation. Where the sealed bytes live is its
/// backend's business (`SealedVaultBackend`; for a `VaultLocation`, `FileVaultBackend`).
///
/// A writer re-reads the vault once it holds the writer lock, so concurrent writers never lose each
/// other's updates; when the version under the lock is the one this store last opened or sealed
/// (same `VaultVersion`), it starts from that snapshot instead of decrypting the vault again.
public struct VaultStore: Sendable {
    /// The vault this store reads and writes.
    public let address: VaultAddress
    /// The keys it opens the vault with; it seals with the first.
    public let keys: KeyRing
    let logger: Logger
    let backend: any SealedVaultBackend
    let cache: VaultSnapshotCache
    /// How long a writer waits for the lock (or, on PostgreSQL, keeps retrying a compare-and-swap
    /// that other writers win) before giving up with `VaultError.busy`.
    public var lockTimeout: Double = 60

    /// A store for the vault file at `location`. Nothing is read until the first call.
    public init(location: VaultLocation, keys: KeyRing, logger: Logger = Logger(label: "tokenvault")) {
        self.init(address: .file(location), keys: keys, logger: logger)
    }

    /// A store for the vault at `address`, a file or a PostgreSQL row. Nothing is read (and no
    /// connection made) until the first call.
    public init(address: VaultAddress, keys: KeyRing, logger: Logger = Logger(label: "tokenvault")) {
        self.address = address
        self.keys = keys
        self.logger = logger
        switch address {
        case .file(let location): self.backend = FileVaultBackend(location: location, logger: logger)
        case .postgres(let database): self.backend = PostgresVaultBackend(address: database, logger: logger)
        }
        self.cache = VaultSnapshotCache()
    }

    /// The same vault opened with `keys`, with a cache of its own (a snapshot belongs to the key
    /// ring that opened it).
    private init(_ store: VaultStore, keys: KeyRing) {
        self.address = store.address
        self.keys = keys
        self.logger = store.logger
        self.backend = store.backend
        self.cache = VaultSnapshotCache()
        self.lockTimeout = store.lockTimeout
    }

    var pathString: String { backend.description }

    // MARK: Reading

    /// Opens and checks the vault's current version, without taking the writer lock. Throws
    /// `VaultError.vaultMissing` when there is no vault yet.
    public func read() throws(VaultError) -> VaultSnapshot {
        // What was seen before this read began: a read that overlapped another thread's read of
        // a newer version may return the older one, which is no rollback.
        let seen = cache.highestSeen
        guard let sealed = try backend.readSealed() else { throw .vaultMissing(path: pathString) }
        let snapshot = try open(sealed.bytes, version: sealed.version)
        cache.see(snapshot.generation)
        if snapshot.generation < seen, backend.refusesRollback {
            throw .rolledBack(path: pathString, generation: snapshot.generation, seen: seen)
        }
        cache.keep(snapshot)
        return snapshot
    }

    /// Which version of the vault is current, without reading it (for the file backend,
    /// `stat`, not following a symbolic link). `nil` when there is no vault.
    public func currentVersion() -> VaultVersion? {
        backend.currentVersion()
    }

    /// The vault as it is under the writer lock: the snapshot this store last opened or sealed
    /// when the version under the lock is still that snapshot's, else a fresh read. Callers hold
    /// the writer lock, so no other writer can replace the version between the check and the write.
    private func readHoldingLock() throws(VaultError) -> VaultSnapshot {
        if let kept = cache.snapshot(matching: backend.currentVersion()) { return kept }
        cache.countOpened()
        return try read()
    }

    /// Runs `body` holding `profile`'s refresh lock (waiting up to `timeout` seconds); `body`
    /// confirms the lock with it before it sends a refresh token.
    func holdingProfileLock<Result>(_ profile: String, timeout: Double, _ body: (any VaultLock) throws -> Result) throws -> Result {
        // Asked nothing, the backend always returns a lock.
        try holdingProfileLock(profile, timeout: timeout, unlessMeanwhile: { false }, body)!
    }

    /// As `holdingProfileLock(_:timeout:_:)`, but `nil` without running `body` when the backend
    /// stops waiting because `done` answered true (`SealedVaultBackend.lockProfile`).
    func holdingProfileLock<Result>(
        _ profile: String, timeout: Double, unlessMeanwhile done: () -> Bool, _ body: (any VaultLock) throws -> Result
    ) throws -> Result? {
        guard let lock = try backend.lockProfile(profile, timeout: timeout, unlessMeanwhile: done) else { return nil }
        return try withExtendedLifetime(lock) { try body(lock) }
    }

    func open(_ file: consuming [UInt8], version: VaultVersion) throws(VaultError) -> VaultSnapshot {
        do throws(VaultFormatError) {
            let opened = try Self.openBytes(file, keys: keys)
            // The sealed bytes are let go before parsing: for a large vault, that is a vault's
            // size off the peak.
            _ = consume file
            let profiles = try VaultPayload.decode(opened.plaintext)
            return VaultSnapshot(
                profiles: profiles, generation: opened.header.generation, sealedWith: opened.key.id,
                sealedWithCurrentKey: opened.key.id == keys.sealingKey.id, version: version, encoded: nil
            )
        } catch {
            throw .unreadable(path: pathString, error)
        }
    }

    private static func openBytes(_ file: [UInt8], keys: KeyRing) throws(VaultFormatError) -> VaultCodec.Opened {
        var result: Result<VaultCodec.Opened, VaultFormatError>!
        file.withUnsafeBytes { bytes in
            result = Result { () throws(VaultFormatError) in try VaultCodec.open(bytes, keys: keys) }
        }
        return try result.get()
    }

    // MARK: Writing

    /// Creates an empty vault; refuses to replace an existing one.
    public func create() throws(VaultError) {
        try backend.createLocation()
        let lock = try backend.lockWriter(timeout: lockTimeout)
        try withExtendedLifetime(lock) { () throws(VaultError) in
            if currentVersion() != nil { throw .file(.alreadyExists(path: pathString)) }
            do throws(VaultError) {
                try write([:], generation: 1, replacing: nil)
            } catch {
                if case .versionConflict = error { throw .file(.alreadyExists(path: pathString)) }
                throw error
            }
        }
    }

    /// Runs `change` on the current profiles under the writer lock and seals the result as the
    /// next generation. `change` sees the vault as it is once the lock is held, so concurrent
    /// writers never lose each other's updates. Nothing is written when `change` throws.
    /// On a backend without a writer lock (PostgreSQL), another writer can win the
    /// compare-and-swap: then the vault is read again and `change` runs again on what it holds
    /// now, so `change` must only compute the new profiles from the ones it is given.
    @discardableResult
    public func update<Result>(
        _ change: (inout [String: TokenProfile], VaultSnapshot) throws -> Result
    ) throws -> Result {
        let lock = try backend.lockWriter(timeout: lockTimeout)
        return try withExtendedLifetime(lock) {
            try retryingConflicts { () throws -> Result in
                backend.prepareForWrite()
                let current = try readHoldingLock()
                var profiles = current.profiles
                markRollback(&profiles, generation: current.generation)
                let result = try change(&profiles, current)
                try write(
                    profiles, generation: try nextGeneration(after: current), replacing: current.version,
                    reusing: current.encoded
                )
                return result
            }
        }
    }

    /// Runs `attempt` again while it loses a compare-and-swap to another writer, with a short
    /// random pause, for up to `lockTimeout` seconds.
    private func retryingConflicts<Result>(_ attempt: () throws -> Result) throws -> Result {
        let deadline = MonotonicClock.now + lockTimeout
        var pause = 0.002
        while true {
            do {
                return try attempt()
            } catch VaultError.versionConflict {
                guard MonotonicClock.now < deadline else {
                    throw VaultError.busy(path: pathString, waitedSeconds: Int(lockTimeout))
                }
                logger.debug("another writer replaced the vault first; applying the change again", metadata: ["path": "\(pathString)"])
                MonotonicClock.sleep(seconds: pause * (0.5 + Double(Sodium.randomUInt32(below: 1000)) / 1000))
                pause = min(pause * 2, 0.05)
            }
        }
    }

    /// Re-seals the vault under `newKeys.sealingKey`, under the writer lock: opens it with any key
    /// of either ring, seals the same profiles as the next generation, checks that the new bytes
    /// open with the new key alone and decode to the same profiles, then replaces the file
    /// atomically. Returns the key id the vault was sealed with before.
    public func rotate(to newKeys: KeyRing) throws(VaultError) -> KeyID {
        let either = VaultStore(self, keys: KeyRing(keys: newKeys.keys + keys.keys))
        let lock = try backend.lockWriter(timeout: lockTimeout)
        do {
            return try withExtendedLifetime(lock) {
                try retryingConflicts { () throws -> KeyID in try rotateHoldingLock(to: newKeys, either: either) }
            }
        } catch let error as VaultError {
            throw error
        } catch {
            preconditionFailure("rotate threw \(error)")
        }
    }

    private func rotateHoldingLock(to newKeys: KeyRing, either: VaultStore) throws(VaultError) -> KeyID {
        // This store's snapshot is sealed under a key it will no longer be: it reads again.
        cache.keep(nil)
        backend.prepareForWrite()
        let current = try either.read()
        var profiles = current.profiles
        either.markRollback(&profiles, generation: current.generation)
        let payload = VaultPayload.encode(profiles)
        let generation = try nextGeneration(after: current)
        let file = VaultCodec.seal(paddedPayload: payload, key: newKeys.sealingKey, generation: generation)
        let reopened: [String: TokenProfile]
        do throws(VaultFormatError) {
            let check = try Self.openBytes(file, keys: KeyRing(keys: [newKeys.sealingKey]))
            reopened = try VaultPayload.decode(check.plaintext)
        } catch {
            throw .unreadable(path: pathString, error)
        }
        guard Set(reopened.keys) == Set(profiles.keys),
              reopened.allSatisfy({ name, profile in
                  profiles[name].map { Self.sameTokens(profile, $0) } ?? false
              })
        else {
            throw .resealMismatch
        }
        _ = try backend.replace(with: file, expected: current.version)
        backend.recordGeneration(generation)
        // The command says the result in its own words; this line is for TOKENVAULT_LOG_LEVEL=info.
        logger.info(current.sealedWith == newKeys.sealingKey.id ? "re-sealed the vault under the same key" : "re-sealed the vault under another key", metadata: [
            "path": "\(pathString)", "from": "\(current.sealedWith)", "to": "\(newKeys.sealingKey.id)",
        ])
        return current.sealedWith
    }

    private static func sameTokens(_ lhs: TokenProfile, _ rhs: TokenProfile) -> Bool {
        func same(_ a: Secret?, _ b: Secret?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case (let a?, let b?): return a.isEqual(to: b)
            default: return false
            }
        }
        return same(lhs.accessToken, rhs.accessToken) && same(lhs.refreshToken, rhs.refreshToken)
            && same(lhs.binding.clientSecret, rhs.binding.clientSecret)
            && lhs.binding.tokenEndpoint == rhs.binding.tokenEndpoint && lhs.expiresAt == rhs.expiresAt
            && lhs.refreshState == rhs.refreshState
    }

    /// The generation after `snapshot`'s; at 2^64-1 the vault is written no more (SECURITY.md,
    /// "Header"), rather than wrap to 0.
    private func nextGeneration(after snapshot: VaultSnapshot) throws(VaultError) -> UInt64 {
        guard snapshot.generation < .max else { throw .unwritable(path: pathString, .lastGeneration) }
        return snapshot.generation + 1
    }

    /// How much of a vault is sealed before it is handed to the backend: small enough that the
    /// disk works on one piece while the next is sealed, large enough to keep the calls few.
    static let sealingPieceSize = 1 << 20

    /// Seals and atomically replaces the vault (the version `replacing`), and keeps what it sealed
    /// as this store's snapshot, with the new version. `reusing` is the payload this
    /// store sealed last, whose objects of unchanged profiles are copied rather than encoded
    /// again (`VaultPayload.encode(_:reusing:)`). Callers hold the writer lock.
    /// Refuses profile names outside `ProfileName`'s rule and a vault over
    /// `VaultCodec.maximumFileSize`: no reader would open either.
    func write(
        _ profiles: [String: TokenProfile], generation: UInt64, replacing: VaultVersion?, reusing: EncodedPayload? = nil
    ) throws(VaultError) {
        if let name = profiles.keys.first(where: { !ProfileName.isValid($0) }) { throw .invalidProfileName(name) }
        let encoded = VaultPayload.encode(profiles, reusing: reusing)
        let payload = encoded.bytes
        let size = VaultHeader.byteCount + SecretBox.tagByteCount + payload.count
        guard size <= VaultCodec.maximumFileSize else {
            throw .unwritable(path: pathString, .tooLarge(size: size, limit: VaultCodec.maximumFileSize))
        }
        cache.keep(nil)
        let version = try backend.replace(size: size, expected: replacing) { write in
            try VaultCodec.seal(
                paddedPayload: payload, key: keys.sealingKey, generation: generation, pieceSize: Self.sealingPieceSize,
                write: write
            )
        }
        backend.recordGeneration(generation)
        cache.see(generation)
        if let version, VaultSnapshotCache.fitsAllocationLimit(profiles) {
            cache.keep(VaultSnapshot(
                profiles: profiles, generation: generation, sealedWith: keys.sealingKey.id,
                sealedWithCurrentKey: true, version: version, encoded: encoded
            ))
        }
        logger.debug("sealed vault", metadata: [
            "path": "\(pathString)", "generation": "\(generation)", "profiles": "\(profiles.count)",
            "key_id": "\(keys.sealingKey.id)",
        ])
    }

    // MARK: Rollback

    /// The highest generation a writer on this host has sealed into this vault (the file backend
    /// keeps it in the writer lock file); `nil` when none is recorded (an older tokenvault, or no
    /// write yet). Not authenticated: it only ever raises a warning.
    public func highestGenerationWritten() -> UInt64? {
        backend.highestGenerationWritten()
    }

    /// When the vault is at an older generation than this host last wrote, it was restored from
    /// an older copy, and any profile refreshed since that copy holds a spent refresh token.
    /// Records that on every profile with a refresh token before anything else changes, so that
    /// `status` keeps saying it after this write has moved the record on.
    func markRollback(_ profiles: inout [String: TokenProfile], generation: UInt64) {
        guard let highest = highestGenerationWritten(), generation < highest else { return }
        let now = WallClock.now
        for name in profiles.keys where profiles[name]!.refreshToken != nil && profiles[name]!.refreshState.rolledBackAt == nil {
            profiles[name]!.refreshState.rolledBackAt = now
        }
        logger.warning("the vault is at an older generation than this host last wrote: it was restored from an older copy, and refresh tokens rotated since that copy are spent", metadata: [
            "path": "\(pathString)", "generation": "\(generation)", "highest_written": "\(highest)",
        ])
    }
}
