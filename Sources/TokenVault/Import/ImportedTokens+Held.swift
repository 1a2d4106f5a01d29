extension ImportedTokens {
    /// The profile (the first by name) whose token chain these tokens belong to, or `nil` when the
    /// vault holds none of it. A refresh token belongs to a profile's chain when it is the
    /// profile's current one, the one its chain was imported with, or one it rotated away from
    /// (compared by `TokenDigest`); tokens without a refresh token, by the current access token.
    /// A plaintext copy of a chain the vault holds is safe to delete; any other is the only copy.
    public func chainHolder(in profiles: [String: TokenProfile]) -> String? {
        let names = profiles.keys.sorted()
        if let refreshToken {
            let digest = TokenDigest(of: refreshToken)
            return names.first { name in
                let profile = profiles[name]!
                return profile.refreshToken?.isEqual(to: refreshToken) == true || profile.hasMovedOn(from: refreshToken, digest: digest)
            }
        }
        guard let accessToken else { return nil }
        return names.first { profiles[$0]!.accessToken?.isEqual(to: accessToken) == true }
    }
}
