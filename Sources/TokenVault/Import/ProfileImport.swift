/// What an import did.
public struct ImportOutcome: Sendable {
    /// The profile as sealed.
    public let profile: TokenProfile
    /// Whether it replaced a profile of the same name.
    public let replaced: Bool
}

extension TokenProfile {
    /// The profile an import creates from `tokens` bound to `binding`. The refresh token counts
    /// as obtained at the input's `created_at`, else `now`; `refreshTokenLifetime` (seconds)
    /// gives its expiry when the input has none.
    public init(imported tokens: ImportedTokens, binding: RefreshBinding, refreshTokenLifetime: Int64? = nil, now: UnixTime) {
        self.init(
            accessToken: tokens.accessToken, refreshToken: tokens.refreshToken,
            tokenType: tokens.tokenType ?? "Bearer", scope: tokens.scope, expiresAt: tokens.expiresAt,
            importedAt: now, binding: binding
        )
        refreshTokenIssuedAt = tokens.issuedAt ?? now
        self.refreshTokenLifetime = refreshTokenLifetime
        refreshTokenExpiresAt = tokens.refreshTokenExpiresAt ?? refreshTokenLifetime.map { refreshTokenIssuedAt + $0 }
    }
}

extension VaultStore {
    /// Seals `profile` under `name`, replacing a profile of that name, with the rules every
    /// import obeys, checked under the writer lock against the vault as it is then:
    ///
    /// - one chain, one profile: no other profile may hold the same refresh token;
    /// - no stale chain (unless `allowStale`): the refresh token must not be one a profile has
    ///   moved on from, and an input with an issue time must not predate the refresh token the
    ///   profile holds.
    ///
    /// The replaced profile's history of spent refresh tokens carries over, with its own refresh
    /// token added when the import brings another. An import of the refresh token the profile
    /// already holds (to change settings, or a stale copy of the very state a restored vault is
    /// in) keeps what is known about that token: possibly spent (`rolledBackAt`,
    /// `ambiguousSpendAt`), refused (`reauthenticationRequired`), and the chain's first token. A
    /// different refresh token starts afresh.
    ///
    /// `stillCurrent` runs under the writer lock just before the rules: it throws when the input
    /// is no longer what it was when read (a token file rewritten meanwhile), and then nothing is
    /// written.
    @discardableResult
    public func importProfile(
        _ name: String, _ profile: TokenProfile, allowStale: Bool = false, stillCurrent: () throws -> Void = {}
    ) throws -> ImportOutcome {
        guard ProfileName.isValid(name) else { throw VaultError.invalidProfileName(name) }
        return try update { profiles, _ in
            try stillCurrent()
            let existing = profiles[name]
            var record = profile
            if let token = profile.refreshToken {
                let digest = TokenDigest(of: token)
                if let holder = profiles.first(where: { $0.key != name && $0.value.refreshToken?.isEqual(to: token) == true }) {
                    throw ImportError.chainHeldByOtherProfile(profile: name, holder: holder.key)
                }
                if !allowStale {
                    if let spender = profiles.keys.sorted().first(where: { profiles[$0]!.hasMovedOn(from: token, digest: digest) }) {
                        throw ImportError.spentRefreshToken(profile: name, spentBy: spender)
                    }
                    if let existing, let held = existing.refreshToken, !held.isEqual(to: token),
                       profile.refreshTokenIssuedAt < existing.refreshTokenIssuedAt {
                        throw ImportError.olderThanVault(
                            profile: name, inputIssuedAt: profile.refreshTokenIssuedAt,
                            profileIssuedAt: existing.refreshTokenIssuedAt
                        )
                    }
                }
                record.importedRefreshToken = digest
            }
            if let existing {
                record.spentRefreshTokens = existing.spentRefreshTokens
                if let held = existing.refreshToken, let token = profile.refreshToken, held.isEqual(to: token) {
                    // The same refresh token is the same point of the chain: what is known about
                    // that token (possibly spent after a restore or a lost answer, refused with
                    // invalid_grant) still holds, and so does where the chain started.
                    record.refreshState.rolledBackAt = existing.refreshState.rolledBackAt
                    record.refreshState.ambiguousSpendAt = existing.refreshState.ambiguousSpendAt
                    record.refreshState.reauthenticationRequired = existing.refreshState.reauthenticationRequired
                    record.importedRefreshToken = existing.importedRefreshToken ?? record.importedRefreshToken
                } else if let held = existing.refreshToken {
                    record.recordSpent(held)
                }
            }
            profiles[name] = record
            return ImportOutcome(profile: record, replaced: existing != nil)
        }
    }
}
