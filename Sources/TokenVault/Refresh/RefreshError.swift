/// Why a profile could not be refreshed. Each case is its own state in `status` and its own exit
/// code of the `tokenvault` command (README, "Exit codes"). Never carries a token.
public enum RefreshError: Error, Sendable {
    /// The refresh token was refused (`invalid_grant`, or 401 from the token endpoint): expired,
    /// revoked or already spent. Only a new import fixes it; the tokens are kept.
    case reauthenticationRequired(profile: String, detail: String)
    /// The client registration is gone or not allowed this grant (`invalid_client`,
    /// `unauthorized_client`).
    case clientRejected(profile: String, detail: String)
    /// The request itself is wrong for this server (`invalid_target`, `invalid_request`, a
    /// redirect, an endpoint URL that is not allowed): a configuration error.
    case configurationRejected(profile: String, detail: String)
    /// The token endpoint is unreachable, overloaded or failing (network, 429, 5xx,
    /// `temporarily_unavailable`); try again after `retryAfter`.
    case transient(profile: String, detail: String, retryAfter: UnixTime?)
    /// The profile has no refresh token (and no valid access token).
    case noRefreshToken(profile: String)
    /// The refresh succeeded but the rotated tokens could not be sealed into the vault.
    case sealFailed(profile: String, cause: VaultError)
    /// The resource server rejected a token that was just refreshed because it rejected the
    /// previous one: refreshing again would loop.
    case rejectedAgain(profile: String)

    /// The profile that could not be refreshed.
    public var profile: String {
        switch self {
        case .reauthenticationRequired(let profile, _), .clientRejected(let profile, _),
             .configurationRejected(let profile, _), .transient(let profile, _, _), .noRefreshToken(let profile),
             .sealFailed(let profile, _), .rejectedAgain(let profile):
            return profile
        }
    }
}

extension RefreshError: CustomStringConvertible {
    /// What went wrong with the refresh, as a message for a person.
    public var description: String {
        switch self {
        case .reauthenticationRequired(let profile, let detail):
            return "MCP authentication failed: refresh token expired or revoked for profile '\(profile)' (\(detail))"
        case .clientRejected(let profile, let detail):
            return "the authorization server no longer accepts the OAuth client of profile '\(profile)' (\(detail))"
        case .configurationRejected(let profile, let detail):
            return "the token endpoint of profile '\(profile)' refused the request: \(detail)"
        case .transient(let profile, let detail, let retryAfter):
            let when = retryAfter.map { " (retry after \(max(0, $0 - WallClock.now))s)" } ?? ""
            return "could not refresh profile '\(profile)' for now: \(detail)\(when)"
        case .noRefreshToken(let profile):
            return "OAuth token unavailable: profile '\(profile)' has no valid access token and no refresh token"
        case .sealFailed(let profile, let cause):
            return "refreshed profile '\(profile)' but could not seal the new tokens into the vault: \(cause)"
        case .rejectedAgain(let profile):
            return "the MCP server rejected a freshly refreshed token of profile '\(profile)'; refreshing again would loop"
        }
    }
}
