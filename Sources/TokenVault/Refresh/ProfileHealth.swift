/// What `tokenvault status --check` reports to monitors: the states that need a person.
public enum ProfileHealth {
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

        /// A stable identifier (README, "status --check").
        public var code: String {
            switch self {
            case .reauthenticationRequired: return "reauth_required"
            case .clientRejected: return "client_rejected"
            case .expiredUnrefreshed: return "expired_unrefreshed"
            case .refreshTokenExpiring: return "refresh_token_expiring"
            }
        }
    }

    public static func problems(of profile: TokenProfile, now: UnixTime, warnWithin window: Int64) -> [Problem] {
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
        return problems
    }
}
