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

    /// The profile the import was into.
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
    /// Why the import was refused, as a message for a person.
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
