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
    /// token added when the import brings another.
    @discardableResult
    public func importProfile(_ name: String, _ profile: TokenProfile, allowStale: Bool = false) throws -> ImportOutcome {
        guard ProfileName.isValid(name) else { throw VaultError.invalidProfileName(name) }
        return try update { profiles, _ in
            let existing = profiles[name]
            var record = profile
            if let token = profile.refreshToken {
                if let holder = profiles.first(where: { $0.key != name && $0.value.refreshToken?.isEqual(to: token) == true }) {
                    throw ImportError.chainHeldByOtherProfile(profile: name, holder: holder.key)
                }
                if !allowStale {
                    if let spender = profiles.keys.sorted().first(where: { profiles[$0]!.hasMovedOn(from: token) }) {
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
                record.importedRefreshToken = TokenDigest(of: token)
            }
            if let existing {
                record.spentRefreshTokens = existing.spentRefreshTokens
                if let held = existing.refreshToken, profile.refreshToken.map({ !held.isEqual(to: $0) }) ?? true {
                    record.recordSpent(held)
                }
            }
            profiles[name] = record
            return ImportOutcome(profile: record, replaced: existing != nil)
        }
    }
}
