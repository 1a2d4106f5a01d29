/// Copying a vault from one store to another (a file and a PostgreSQL row, either way): the
/// sealed bytes travel as they are, so the copy is byte for byte the original.
extension VaultStore {
    /// What `copy(from:force:)` did.
    public struct CopyOutcome: Sendable, Equatable {
        /// The source's generation.
        public let sourceGeneration: UInt64
        /// The target's generation before the copy, `nil` when there was no vault there.
        public let replacedGeneration: UInt64?
        /// The generation the target holds now.
        public let generation: UInt64
        /// Whether the target now holds the source's exact sealed bytes; `false` after a forced
        /// copy onto a target at the same or a newer generation, which seals the source's
        /// profiles as the next generation of the target instead.
        public let exactBytes: Bool
        /// The profiles marked as rolled back (a forced copy: their refresh tokens may be spent).
        public let rolledBack: [String]
    }

    /// Replaces this store's vault with `source`'s, atomically: the file store's atomic write, or
    /// one compare-and-swap on the row's generation. The source is opened with `source.keys`
    /// first, so a damaged source is refused and nothing is written.
    ///
    /// When there is no vault here, or one at an older generation, this writes the source's exact
    /// sealed bytes. A vault here at the same or a newer generation is refused
    /// (`VaultError.notOlder`) unless `force`: then the source's profiles are sealed with this
    /// store's first key as the generation after this vault's, so no reader that has seen this
    /// vault takes the copy for a rollback, and every profile with a refresh token is marked as
    /// rolled back (`RefreshState.rolledBackAt`): its refresh token may have been spent since the
    /// source was taken.
    public func copy(from source: VaultStore, force: Bool = false) throws(VaultError) -> CopyOutcome {
        guard let sealed = try source.backend.readSealed() else { throw .vaultMissing(path: source.pathString) }
        let snapshot = try source.open(sealed.bytes, version: sealed.version)
        try backend.createLocation()
        let lock = try backend.lockWriter(timeout: lockTimeout)
        return try withExtendedLifetime(lock) { () throws(VaultError) -> CopyOutcome in
            backend.prepareForWrite()
            let target = try backend.readSealed()
            let targetGeneration = target.map { VaultHeader.generation(of: $0.bytes) }
            guard let targetGeneration, targetGeneration >= snapshot.generation else {
                cache.keep(nil)
                _ = try backend.replace(with: sealed.bytes, expected: target?.version)
                backend.recordGeneration(snapshot.generation)
                cache.see(snapshot.generation)
                return CopyOutcome(
                    sourceGeneration: snapshot.generation, replacedGeneration: targetGeneration,
                    generation: snapshot.generation, exactBytes: true, rolledBack: []
                )
            }
            guard force else {
                throw .notOlder(
                    path: pathString, generation: targetGeneration, source: source.pathString,
                    sourceGeneration: snapshot.generation
                )
            }
            guard targetGeneration < .max else { throw .unwritable(path: pathString, .lastGeneration) }
            var profiles = snapshot.profiles
            let now = WallClock.now
            var marked: [String] = []
            for name in profiles.keys.sorted() where profiles[name]!.refreshToken != nil {
                if profiles[name]!.refreshState.rolledBackAt == nil { profiles[name]!.refreshState.rolledBackAt = now }
                marked.append(name)
            }
            try write(profiles, generation: targetGeneration + 1, replacing: target?.version)
            logger.info("a vault at an older generation was copied over a newer one: refresh tokens rotated since the copy was taken are spent", metadata: [
                "path": "\(pathString)", "source": "\(source.pathString)",
                "source_generation": "\(snapshot.generation)", "replaced_generation": "\(targetGeneration)",
            ])
            return CopyOutcome(
                sourceGeneration: snapshot.generation, replacedGeneration: targetGeneration,
                generation: targetGeneration + 1, exactBytes: false, rolledBack: marked
            )
        }
    }
}
