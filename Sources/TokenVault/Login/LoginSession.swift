/// One sign-in by the MCP authorization flow, done by TokenVault itself so that the token chain
/// is sealed from its first byte:
///
/// 1. discovery as `import --server` does it (RFC 9728, then RFC 8414 or OpenID Connect); an
///    authorization server that does not offer PKCE `S256` is refused;
/// 2. the client given, or one registered now (RFC 7591) when the server offers registration;
/// 3. an authorization code request with PKCE S256 (the verifier in guarded memory), a fresh
///    `state` and `resource` (RFC 8707), redirected to a loopback listener on 127.0.0.1 (or
///    pasted back by the user);
/// 4. the code exchanged at the token endpoint with the verifier and `resource`.
///
/// The result is tokens and the binding to seal them with; nothing is written anywhere before
/// that, so a sign-in that fails leaves every file as it was.
package final class LoginSession {
    /// A client registered beforehand.
    package struct Client: Sendable {
        package let clientID: String
        package let clientSecret: Secret?
        package let authMethod: ClientAuthMethod?

        package init(clientID: String, clientSecret: Secret?, authMethod: ClientAuthMethod?) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.authMethod = authMethod
        }
    }

    /// The path of the redirect URI on the loopback listener.
    package static let callbackPath = "/callback"

    /// What discovery found.
    package let discovered: Discovery.Result
    /// Where and how the refresh token will be redeemed: the token endpoint, the client, the
    /// resource and the issuer.
    package let binding: RefreshBinding
    /// Whether the client was registered by this sign-in.
    package let registered: Bool
    /// `http://127.0.0.1:PORT/callback`.
    package let redirectURI: String
    /// The address the browser opens.
    package let authorizationURL: String

    private let pkce = PKCE()
    private let state = PKCE.freshState()
    private let listener: LoopbackListener
    private let limits: HTTPLimits

    /// Discovers, checks the server, sets up the loopback redirect target and the client. With
    /// `listening` false the port is only held: the redirect comes back pasted (`complete`).
    package init(server: String, client: Client?, scope: String?, listening: Bool, limits: HTTPLimits = HTTPLimits()) throws(LoginError) {
        do { discovered = try Discovery.discover(server: server, limits: limits) } catch { throw .discovery(error) }
        let metadata = discovered.authorization
        guard metadata.codeChallengeMethods.contains("S256") else {
            throw .noPKCE(issuer: discovered.issuer, offered: metadata.codeChallengeMethods)
        }
        guard let authorizationEndpoint = metadata.authorizationEndpoint else {
            throw .noAuthorizationEndpoint(issuer: discovered.issuer)
        }
        listener = try LoopbackListener(listening: listening)
        redirectURI = "http://127.0.0.1:\(listener.port)\(Self.callbackPath)"
        self.limits = limits
        let chosen: Client
        if let client {
            chosen = client
            registered = false
        } else {
            guard let endpoint = metadata.registrationEndpoint else { throw .noClient(issuer: discovered.issuer) }
            let made: ClientRegistration.Client
            do { made = try ClientRegistration.register(at: endpoint, redirectURI: redirectURI, limits: limits) } catch {
                throw .authorization(error)
            }
            chosen = Client(clientID: made.clientID, clientSecret: made.clientSecret, authMethod: made.authMethod)
            registered = true
        }
        binding = RefreshBinding(
            tokenEndpoint: discovered.tokenEndpoint, clientID: chosen.clientID, clientSecret: chosen.clientSecret,
            authMethod: chosen.authMethod, resource: discovered.resource, issuer: discovered.issuer
        )
        let scopes = scope ?? metadata.resourceScopes.joined(separator: " ")
        authorizationURL = AuthorizationCodeGrant.authorizationURL(
            endpoint: authorizationEndpoint, clientID: chosen.clientID, redirectURI: redirectURI, state: state,
            challenge: pkce.challenge, resource: discovered.resource, scope: scopes.isEmpty ? nil : scopes
        )
    }

    /// Waits for the browser's redirect to the loopback listener, for at most `timeout` seconds,
    /// and exchanges its code. The first request to the callback path decides: a wrong `state`,
    /// an error redirect or a missing code ends the sign-in (the browser is told so).
    package func awaitRedirect(timeout seconds: Int) throws(LoginError) -> ImportedTokens {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let expected = state, issuer = discovered.issuer
        var verdict: Result<Secret, AuthorizationError> = .failure(.missingCode)
        _ = try listener.awaitCallback(path: Self.callbackPath, deadline: deadline, timeoutSeconds: seconds) { redirect in
            guard let redirect else {
                verdict = .failure(.missingCode)
                return LoopbackListener.Page(status: 400, text: "TokenVault: this is not a sign-in redirect. Return to the terminal.")
            }
            do throws(AuthorizationError) {
                verdict = .success(try redirect.code(expectedState: expected, issuer: issuer))
                return LoopbackListener.Page(status: 200, text: "TokenVault received the sign-in. You can close this tab and return to the terminal.")
            } catch {
                verdict = .failure(error)
                return LoopbackListener.Page(status: 400, text: "TokenVault: the sign-in did not complete. You can close this tab; the terminal says why.")
            }
        }
        switch verdict {
        case .success(let code): return try redeem(code)
        case .failure(let error): throw .authorization(error)
        }
    }

    /// Exchanges the code of a redirect address the user pasted (`--no-browser`), after the
    /// same checks as a redirect to the listener.
    package func complete(pasted address: Secret) throws(LoginError) -> ImportedTokens {
        listener.stop()
        guard let redirect = address.withUnsafeBytes({ AuthorizationRedirect($0) }) else {
            throw .authorization(.notARedirect)
        }
        let code: Secret
        do { code = try redirect.code(expectedState: state, issuer: discovered.issuer) } catch { throw .authorization(error) }
        return try redeem(code)
    }

    private func redeem(_ code: Secret) throws(LoginError) -> ImportedTokens {
        let exchanged: AuthorizationCodeGrant.Exchanged
        do {
            exchanged = try AuthorizationCodeGrant.exchange(
                code: code, verifier: pkce.verifier, redirectURI: redirectURI, binding: binding, limits: limits
            )
        } catch {
            throw .authorization(error)
        }
        let tokens = exchanged.tokens, sentAt = exchanged.sentAt
        var imported = ImportedTokens()
        imported.accessToken = exchanged.accessToken
        imported.refreshToken = tokens.refreshToken
        imported.tokenType = tokens.tokenType
        imported.scope = tokens.scope
        imported.expiresAt = tokens.expiresIn.map { sentAt + $0 } ?? JWTExpiry.expiry(of: exchanged.accessToken)
        imported.refreshTokenExpiresAt = tokens.refreshTokenExpiresIn.map { sentAt + $0 }
        imported.issuedAt = sentAt
        imported.clientID = binding.clientID
        imported.clientSecret = binding.clientSecret
        imported.authMethod = binding.authMethod
        return imported
    }
}
