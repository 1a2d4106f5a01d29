/// Seconds since the Unix epoch. TokenVault stores every time this way (no time zones, no
/// Foundation), and so does the vault payload.
public typealias UnixTime = Int64

/// How the client authenticates to the token endpoint (RFC 7591 names).
public enum ClientAuthMethod: String, Sendable, CaseIterable {
    /// A public client: `client_id` in the form body, no secret.
    case none
    /// HTTP Basic with the client id and secret.
    case clientSecretBasic = "client_secret_basic"
    /// `client_id` and `client_secret` in the form body.
    case clientSecretPost = "client_secret_post"
}

/// Where and how a profile's refresh token may be redeemed. A refresh token is only ever sent to
/// the token endpoint stored here, the one it was issued by.
public struct RefreshBinding: Sendable {
    public var tokenEndpoint: String
    public var clientID: String
    public var clientSecret: Secret?
    public var authMethod: ClientAuthMethod
    /// The MCP server's canonical URI, sent as `resource` (RFC 8707).
    public var resource: String?
    public var issuer: String?

    public init(
        tokenEndpoint: String, clientID: String, clientSecret: Secret? = nil,
        authMethod: ClientAuthMethod? = nil, resource: String? = nil, issuer: String? = nil
    ) {
        self.tokenEndpoint = tokenEndpoint
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.authMethod = authMethod ?? (clientSecret == nil ? .none : .clientSecretBasic)
        self.resource = resource
        self.issuer = issuer
    }
}

/// The refresh engine's bookkeeping for one profile.
public struct RefreshState: Sendable, Equatable {
    /// The refresh token was refused (`invalid_grant`): only an import of another refresh token
    /// fixes it.
    public var reauthenticationRequired = false
    /// The server refused the client itself (`invalid_client`, `unauthorized_client`).
    public var clientRejected = false
    /// A short description of the last failure: an error class and the server's
    /// `error_description`, never a token.
    public var lastError: String?
    public var lastErrorAt: UnixTime?
    public var consecutiveFailures: Int64 = 0
    /// Do not call the token endpoint before this time (from `Retry-After` or back-off).
    public var retryAfter: UnixTime?
    /// A refresh request was sent but no answer came back: the server may have rotated the
    /// token without us hearing of it.
    public var ambiguousSpendAt: UnixTime?
    /// When a writer found the vault at an older generation than this host had written (a
    /// restored backup, a copied-back file): the refresh token may have been rotated since, and
    /// so be spent. Cleared by a successful refresh or an import of another refresh token.
    public var rolledBackAt: UnixTime?

    public init() {}
}

/// One named set of tokens in the vault (the old app's `readonly` and `admin`).
public struct TokenProfile: Sendable {
    public var accessToken: Secret?
    public var refreshToken: Secret?
    public var tokenType: String
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
    public var importedAt: UnixTime
    public var refreshedAt: UnixTime?
    public var binding: RefreshBinding
    public var refreshState: RefreshState
    /// Digests of the refresh tokens this profile has moved on from (rotated away from, or
    /// replaced by an import), most recent first, at most `spentHistoryLimit`.
    public var spentRefreshTokens: [TokenDigest] = []
    /// The digest of the refresh token the profile was last imported with, the start of its
    /// chain: once the chain has rotated, that token is spent whatever the history holds.
    public var importedRefreshToken: TokenDigest?

    /// How many spent refresh-token digests a profile keeps.
    public static let spentHistoryLimit = 16

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
        if let current = refreshToken, current.isEqual(to: token) { return false }
        let digest = TokenDigest(of: token)
        return spentRefreshTokens.contains(digest) || importedRefreshToken == digest
    }

    /// Whether the profile's own refresh token is one it had already moved on from (imported
    /// again with `--force`, or brought back by a restored vault).
    public var holdsSpentRefreshToken: Bool {
        guard let token = refreshToken else { return false }
        return spentRefreshTokens.contains(TokenDigest(of: token))
    }
}

/// Profile names are plain identifiers: they appear in file names of other tools, shell
/// scripts and log lines, so nothing that needs quoting.
public enum ProfileName {
    /// 1 to 64 characters of `A-Z a-z 0-9 - _ .`, not starting with `.`.
    public static func isValid(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isValid(UnsafeRawBufferPointer($0)) }
    }

    /// The same rule on the name's bytes (as a vault payload holds them).
    static func isValid(_ name: UnsafeRawBufferPointer) -> Bool {
        guard (1...64).contains(name.count), name[0] != UInt8(ascii: ".") else { return false }
        return name.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                return true
            default:
                return false
            }
        }
    }
}
