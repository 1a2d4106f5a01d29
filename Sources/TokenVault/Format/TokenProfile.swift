/// One named set of tokens in the vault (the old app's `readonly` and `admin`).
public struct TokenProfile: Sendable {
    /// The access token; `nil` when none is held.
    public var accessToken: Secret?
    /// The refresh token; `nil` when the profile cannot be refreshed, only re-imported.
    public var refreshToken: Secret?
    /// The access token's type as the server named it (`Bearer` unless told otherwise).
    public var tokenType: String
    /// The granted scope, space-separated as the server sent it; `nil` when not given.
    public var scope: String?
    /// When the access token expires; `nil` when unknown (then only a 401 triggers a refresh).
    public var expiresAt: UnixTime?
    /// When the refresh token expires, from `refresh_token_expires_in` or a lifetime given at
    /// import; `nil` when unknown.
    public var refreshTokenExpiresAt: UnixTime?
    /// The refresh-token lifetime given at import, applied again to every rotated token.
    public var refreshTokenLifetime: Int64?
    /// When the current refresh token was obtained (import or the last rotation).
    public var refreshTokenIssuedAt: UnixTime
    /// When the profile was last imported.
    public var importedAt: UnixTime
    /// When the request of the last successful refresh was sent; `nil` when never refreshed.
    public var refreshedAt: UnixTime?
    /// Where and how the refresh token may be redeemed.
    public var binding: RefreshBinding
    /// The refresh engine's bookkeeping: failures, back-off and the flags that need a person.
    public var refreshState: RefreshState
    /// Digests of the refresh tokens this profile has moved on from (rotated away from, or
    /// replaced by an import), most recent first, at most `spentHistoryLimit`.
    public var spentRefreshTokens: [TokenDigest] = []
    /// The digest of the refresh token the profile was last imported with, the start of its
    /// chain: once the chain has rotated, that token is spent whatever the history holds.
    public var importedRefreshToken: TokenDigest?

    /// How many spent refresh-token digests a profile keeps.
    public static let spentHistoryLimit = 16

    /// A freshly imported profile: the refresh token counts as issued at `importedAt`, with no
    /// refresh history and no spent tokens.
    public init(
        accessToken: Secret?, refreshToken: Secret?, tokenType: String = "Bearer", scope: String? = nil,
        expiresAt: UnixTime?, importedAt: UnixTime, binding: RefreshBinding
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = tokenType
        self.scope = scope
        self.expiresAt = expiresAt
        self.importedAt = importedAt
        self.refreshTokenIssuedAt = importedAt
        self.binding = binding
        self.refreshState = RefreshState()
    }
}
