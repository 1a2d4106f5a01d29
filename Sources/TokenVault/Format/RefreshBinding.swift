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
