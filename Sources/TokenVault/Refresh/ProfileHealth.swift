/// What `tokenvault status --check` reports to monitors: the states that need a person.
public enum ProfileHealth {
    /// A state of a profile that needs a person.
    public enum Problem: Sendable, Equatable {
        /// The refresh token was refused: re-import.
        case reauthenticationRequired
        /// The OAuth client was refused: register again and re-import.
        case clientRejected
        /// The access token expired and the last refresh attempt failed (or there is no
        /// refresh token to try).
        case expiredUnrefreshed
        /// The refresh token expires within the warning window (seconds left; 0 or less once
        /// expired).
        case refreshTokenExpiring(remaining: Int64)
        /// The refresh token may already be spent; `SpentSuspicion` says why.
        case refreshTokenPossiblySpent(SpentSuspicion)

        /// A stable identifier (README, "status --check").
        public var code: String {
            switch self {
            case .reauthenticationRequired: return "reauth_required"
            case .clientRejected: return "client_rejected"
            case .expiredUnrefreshed: return "expired_unrefreshed"
            case .refreshTokenExpiring: return "refresh_token_expiring"
            case .refreshTokenPossiblySpent: return "possibly_spent"
            }
        }
    }

    /// Why a profile's refresh token may already be spent.
    public enum SpentSuspicion: Sendable, Equatable {
        /// The vault is at an older generation than this host last wrote: it was restored from
        /// an older copy, and a refresh since that copy rotated the token.
        case vaultRestored
        /// A writer found the vault restored at this time and recorded it in the profile.
        case restoreRecorded(at: UnixTime)
        /// The profile holds a refresh token it had already moved on from (imported with
        /// `--force`, or brought back by an older copy).
        case spentTokenHeld

        /// A stable identifier (README, "status --json").
        public var code: String {
            switch self {
            case .vaultRestored: return "vault_restored"
            case .restoreRecorded: return "restore_recorded"
            case .spentTokenHeld: return "spent_token_held"
            }
        }
    }

    /// Why `profile`'s refresh token may be spent, if it may; `vaultRestored` is whether the
    /// vault it was read from is older than what this host last wrote.
    public static func spentSuspicion(of profile: TokenProfile, vaultRestored: Bool) -> SpentSuspicion? {
        guard profile.refreshToken != nil, !profile.refreshState.reauthenticationRequired else { return nil }
        if vaultRestored { return .vaultRestored }
        if let at = profile.refreshState.rolledBackAt { return .restoreRecorded(at: at) }
        if profile.holdsSpentRefreshToken { return .spentTokenHeld }
        return nil
    }

    /// The problems of `profile` at `now`, warning of a refresh token that expires within
    /// `window` seconds; empty when it needs nothing. `vaultRestored` says the vault was found
    /// older than this host had written it.
    public static func problems(of profile: TokenProfile, now: UnixTime, warnWithin window: Int64, vaultRestored: Bool = false) -> [Problem] {
        var problems: [Problem] = []
        let state = profile.refreshState
        if state.reauthenticationRequired { problems.append(.reauthenticationRequired) }
        if state.clientRejected { problems.append(.clientRejected) }
        if RefreshPolicy.isExpired(profile, now: now), state.consecutiveFailures > 0 || profile.refreshToken == nil {
            problems.append(.expiredUnrefreshed)
        }
        if let expiry = profile.refreshTokenExpiresAt, profile.refreshToken != nil, expiry.clampedSubtracting(now) <= window {
            problems.append(.refreshTokenExpiring(remaining: expiry.clampedSubtracting(now)))
        }
        if let suspicion = spentSuspicion(of: profile, vaultRestored: vaultRestored) {
            problems.append(.refreshTokenPossiblySpent(suspicion))
        }
        return problems
    }
}
