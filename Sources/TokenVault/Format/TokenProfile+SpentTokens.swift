extension TokenProfile {
    /// Records `token` as one this profile has moved on from.
    public mutating func recordSpent(_ token: Secret) {
        let digest = TokenDigest(of: token)
        spentRefreshTokens.removeAll { $0 == digest }
        spentRefreshTokens.insert(digest, at: 0)
        if spentRefreshTokens.count > Self.spentHistoryLimit {
            spentRefreshTokens.removeLast(spentRefreshTokens.count - Self.spentHistoryLimit)
        }
    }

    /// Whether `token` is a refresh token this profile has moved on from: one in its history,
    /// or the token its chain was imported with when the chain has rotated since.
    public func hasMovedOn(from token: Secret) -> Bool {
        hasMovedOn(from: token, digest: TokenDigest(of: token))
    }

    /// `hasMovedOn(from:)` with the token's digest already made (checking many profiles).
    public func hasMovedOn(from token: Secret, digest: TokenDigest) -> Bool {
        if let current = refreshToken, current.isEqual(to: token) { return false }
        return spentRefreshTokens.contains(digest) || importedRefreshToken == digest
    }

    /// Whether the profile's own refresh token is one it had already moved on from (imported
    /// again with `--force`, or brought back by a restored vault).
    public var holdsSpentRefreshToken: Bool {
        guard let token = refreshToken else { return false }
        return spentRefreshTokens.contains(TokenDigest(of: token))
    }
}
