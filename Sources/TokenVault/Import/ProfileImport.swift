/// Why the vault refuses an import. Each case names the profile; none carries a token.
public enum ImportError: Error, Sendable, Equatable {
    /// Another profile already holds this refresh token. One chain backs one profile: two
    /// profiles would each take their own refresh lock and spend the token twice.
    case chainHeldByOtherProfile(profile: String, holder: String)
    /// The refresh token is one that `spentBy` has already moved on from (rotated away from, or
    /// replaced): presenting it may make the server revoke the whole chain.
    case spentRefreshToken(profile: String, spentBy: String)
    /// The input says it was issued (`created_at`) before the refresh token the profile holds:
    /// it is an older copy of the chain than the vault's.
    case olderThanVault(profile: String, inputIssuedAt: UnixTime, profileIssuedAt: UnixTime)

    public var profile: String {
        switch self {
        case .chainHeldByOtherProfile(let profile, _), .spentRefreshToken(let profile, _), .olderThanVault(let profile, _, _):
            return profile
        }
    }

    /// Whether the caller may import anyway by asking for it (`allowStale`).
    public var isStale: Bool {
        if case .chainHeldByOtherProfile = self { return false }
        return true
    }
}

extension ImportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .chainHeldByOtherProfile(let profile, let holder):
            return "profile '\(holder)' already holds this refresh token; one token chain can back only one profile, so it cannot also be '\(profile)'"
        case .spentRefreshToken(let profile, let spentBy):
            let whose = spentBy == profile ? "profile '\(profile)' has" : "profile '\(spentBy)' has"
            return "refusing to import a stale refresh token into '\(profile)': \(whose) already rotated away from it, so it is spent, and presenting it may make the server revoke the whole token chain"
        case .olderThanVault(let profile, let input, let held):
            return "refusing to import tokens into '\(profile)' issued at \(ISO8601.format(input)), before the refresh token the profile holds (obtained \(ISO8601.format(held))): they are an older copy of the chain"
        }
    }
}

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
