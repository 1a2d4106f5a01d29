/// The authorization code grant's two requests (RFC 6749 §4.1, RFC 7636, RFC 8707): the address
/// the browser opens, and the exchange of the code for tokens at the token endpoint.
enum AuthorizationCodeGrant {
    /// The authorization request's address: `response_type=code`, the client, the loopback
    /// redirect URI, `state`, the S256 challenge, `resource` and `scope` (when any).
    static func authorizationURL(
        endpoint: String, clientID: String, redirectURI: String, state: String, challenge: String,
        resource: String, scope: String?
    ) -> String {
        var parameters = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI), ("state", state),
            ("code_challenge", challenge), ("code_challenge_method", "S256"), ("resource", resource),
        ]
        if let scope, !scope.isEmpty { parameters.append(("scope", scope)) }
        let query = parameters.map { "\($0.0)=\(formEncoded($0.1))" }.joined(separator: "&")
        return endpoint + (endpoint.contains("?") ? "&" : "?") + query
    }

    /// Tokens a code was exchanged for, and when the request was sent (expiries count from it).
    struct Exchanged {
        let tokens: TokenResponse.Tokens
        let accessToken: Secret
        let sentAt: UnixTime
    }

    /// Exchanges `code` with its `verifier` at the binding's token endpoint, with the client's
    /// credentials and `resource` as every refresh sends them. Follows no redirect.
    static func exchange(
        code: Secret, verifier: Secret, redirectURI: String, binding: RefreshBinding, limits: HTTPLimits
    ) throws(AuthorizationError) -> Exchanged {
        var grant = SecureWriter(capacity: 512 + code.count + verifier.count)
        grant.append("grant_type=authorization_code&code=")
        code.withUnsafeBytes { grant.appendFormEncoded($0) }
        grant.append("&redirect_uri=")
        grant.appendFormEncoded(public: redirectURI)
        grant.append("&code_verifier=")
        verifier.withUnsafeBytes { grant.appendFormEncoded($0) }
        let request = TokenRequest(grant: grant, sending: [code, verifier], binding: binding)
        let url: EndpointURL
        do { url = try EndpointURL(binding.tokenEndpoint) } catch {
            throw .exchangeRefused(.configuration, detail: error.description)
        }
        let sentAt = WallClock.now
        let response: HTTPResponse
        do {
            response = try Curl.postForm(url: url, form: request.form, authorization: request.authorization, limits: limits)
        } catch {
            switch error {
            case .notSent(let reason), .noAnswer(let reason):
                throw .unreachable(what: "token endpoint", url: binding.tokenEndpoint, reason: reason)
            case .bodyTooLarge(let limit):
                throw .exchangeMalformed("the token endpoint answered more than \(limit) bytes")
            }
        }
        if (300..<400).contains(response.status) {
            throw .exchangeRefused(.configuration, detail: "a redirect (\(response.status)); tokenvault follows no redirects from a token endpoint")
        }
        switch TokenResponse(response, echoes: request.echoes) {
        case .tokens(let tokens):
            guard let accessToken = tokens.accessToken, tokens.refused.isEmpty else {
                throw .exchangeMalformed(tokens.refusal)
            }
            return Exchanged(tokens: tokens, accessToken: accessToken, sentAt: sentAt)
        case .malformed(let detail):
            throw .exchangeMalformed(detail)
        case .failure(let status, let code, let description):
            let detail = ([code ?? "HTTP \(status)"] + (description.map { [$0] } ?? [])).joined(separator: ": ")
            switch (code, status) {
            case ("invalid_grant"?, _), (nil, 401): throw .exchangeRefused(.codeRejected, detail: detail)
            case ("invalid_client"?, _), ("unauthorized_client"?, _): throw .exchangeRefused(.clientRejected, detail: detail)
            case ("temporarily_unavailable"?, _), ("server_error"?, _), (_, 429), (_, 500...599):
                throw .exchangeRefused(.transient, detail: detail)
            default: throw .exchangeRefused(.configuration, detail: detail)
            }
        }
    }

    /// Percent-encoding for a query parameter (unreserved characters kept).
    private static func formEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded()
            }
        }
        return out
    }
}

private extension String {
    func leftPadded() -> String { count == 1 ? "0" + self : self }
}
