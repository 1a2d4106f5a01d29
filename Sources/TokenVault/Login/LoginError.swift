/// Why a sign-in (`LoginSession`) failed. Nothing is written to the vault before the code has
/// been exchanged, so after any of these the vault is as it was.
public enum LoginError: Error, Sendable {
    /// Discovery failed (RFC 9728, RFC 8414).
    case discovery(DiscoveryError)
    /// The authorization server's metadata does not offer PKCE `S256`: the issuer, and the
    /// methods it lists.
    case noPKCE(issuer: String, offered: [String])
    /// The metadata has no usable `authorization_endpoint`.
    case noAuthorizationEndpoint(issuer: String)
    /// No client id was given and the server offers no `registration_endpoint`.
    case noClient(issuer: String)
    /// The loopback listener could not be set up: the call and its errno.
    case listener(String)
    /// No redirect came back within the time allowed, in seconds.
    case timedOut(seconds: Int)
    /// A step of the authorization code flow failed.
    case authorization(AuthorizationError)
}

extension LoginError: CustomStringConvertible {
    /// What went wrong, as a message for a person.
    public var description: String {
        switch self {
        case .discovery(let error): return error.description
        case .noPKCE(let issuer, let offered):
            let listed = offered.isEmpty ? "none" : offered.map { PrintableText.clean($0) }.joined(separator: ", ")
            return "the authorization server \(PrintableText.clean(issuer)) does not offer PKCE S256 (code_challenge_methods_supported: \(listed)); tokenvault signs in only with S256"
        case .noAuthorizationEndpoint(let issuer):
            return "the authorization server \(PrintableText.clean(issuer)) names no usable authorization_endpoint"
        case .noClient(let issuer):
            return "the authorization server \(PrintableText.clean(issuer)) offers no dynamic client registration (no registration_endpoint)"
        case .listener(let problem): return "cannot listen for the redirect on 127.0.0.1: \(problem)"
        case .timedOut(let seconds): return "no sign-in came back within \(seconds) s"
        case .authorization(let error): return error.description
        }
    }
}
