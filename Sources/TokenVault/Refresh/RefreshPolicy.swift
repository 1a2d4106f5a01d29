/// When an access token counts as due for refresh.
///
/// The margin is the smaller of five minutes and a fifth of the token's lifetime: a 15-minute
/// Cloudflare Access token is refreshed in its last 3 minutes, a 1-hour or 24-hour token in its
/// last 5. A fifth leaves room for clock skew and a slow token endpoint without refreshing a
/// short-lived token half-way through its life.
public enum RefreshPolicy {
    /// The largest refresh margin, in seconds.
    public static let maximumMargin: Int64 = 300

    /// The margin for a token that was obtained at `issuedAt` and expires at `expiresAt`; any two
    /// times give a margin from 0 to `maximumMargin`.
    public static func margin(issuedAt: UnixTime, expiresAt: UnixTime) -> Int64 {
        let lifetime = max(0, expiresAt.clampedSubtracting(issuedAt))
        return min(maximumMargin, lifetime / 5)
    }

    /// Where a profile's access token stands; times in seconds.
    public enum AccessState: Equatable, Sendable {
        /// No access token stored.
        case missing
        /// No expiry known: used until a resource server answers 401.
        case unknownExpiry
        /// Valid and outside the refresh margin.
        case valid(remaining: Int64)
        /// Still valid, but inside the refresh margin.
        case refreshDue(remaining: Int64)
        /// Expired (`since` is 0 at the expiry time itself).
        case expired(since: Int64)
    }

    /// Whether the access token has expired (not merely inside the margin).
    public static func isExpired(_ profile: TokenProfile, now: UnixTime) -> Bool {
        if case .expired = accessState(of: profile, now: now) { return true }
        return false
    }

    /// The access token served at `now` without a refresh: valid beyond the refresh margin, or of
    /// unknown expiry; `nil` when a refresh must come first. Still the vault's guarded bytes: what
    /// `TokenManager.accessTokenWithoutRefresh(for:)` returns as a `String`, and what the
    /// `tokenvault` front writes to stdout without copying it out of guarded memory.
    package static func tokenWithoutRefresh(of profile: TokenProfile, now: UnixTime) -> Secret? {
        switch accessState(of: profile, now: now) {
        case .valid, .unknownExpiry: return profile.accessToken
        case .refreshDue, .expired, .missing: return nil
        }
    }

    /// The state of `profile`'s access token at `now`; the margin counts from its last refresh,
    /// else its import.
    public static func accessState(of profile: TokenProfile, now: UnixTime) -> AccessState {
        guard profile.accessToken != nil else { return .missing }
        guard let expiresAt = profile.expiresAt else { return .unknownExpiry }
        // Clamped: an app may set any time, and a difference of two never traps.
        let remaining = expiresAt.clampedSubtracting(now)
        if remaining <= 0 { return .expired(since: Int64(0).clampedSubtracting(remaining)) }
        let issuedAt = profile.refreshedAt ?? profile.importedAt
        return remaining <= margin(issuedAt: issuedAt, expiresAt: expiresAt)
            ? .refreshDue(remaining: remaining) : .valid(remaining: remaining)
    }
}
