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
    /// The token endpoint's URL, the only place the refresh token is ever sent.
    public var tokenEndpoint: String
    /// The OAuth client's `client_id`.
    public var clientID: String
    /// The client's secret; `nil` for a public client.
    public var clientSecret: Secret?
    /// How the client authenticates to the token endpoint.
    public var authMethod: ClientAuthMethod
    /// The MCP server's canonical URI, sent as `resource` (RFC 8707).
    public var resource: String?
    /// The authorization server's issuer identifier, as given at import; `nil` when unknown.
    public var issuer: String?

    /// Without `authMethod`, a client with a secret uses HTTP Basic and one without is public.
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
