/// The answer of a token endpoint. The body stays in guarded memory: it carries tokens.
struct HTTPResponse {
    let status: Int
    let body: Secret
    /// `Retry-After`, as received.
    let retryAfter: String?
    /// `Location` and `WWW-Authenticate`, as received, in guarded memory: a server may echo
    /// what it was sent in them (a redirect to `…?rt=<refresh token>`). Shown only masked.
    let location: Secret?
    let wwwAuthenticate: Secret?
}
