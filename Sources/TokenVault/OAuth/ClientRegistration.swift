/// Dynamic client registration (RFC 7591) of TokenVault as a public client of one authorization
/// server: client name TokenVault, the loopback redirect URI, the `authorization_code` and
/// `refresh_token` grants, `token_endpoint_auth_method` `none`. What the server answers is kept
/// only in memory until it is sealed into the profile.
enum ClientRegistration {
    /// The registered client: its id, and a secret and auth method when the server issued a
    /// confidential client anyway.
    struct Client {
        let clientID: String
        let clientSecret: Secret?
        let authMethod: ClientAuthMethod
    }

    /// Registers at `endpoint` for `redirectURI`. Blocks for the request, within `limits`.
    static func register(at endpoint: String, redirectURI: String, limits: HTTPLimits) throws(AuthorizationError) -> Client {
        let url: EndpointURL
        do { url = try EndpointURL(endpoint) } catch {
            throw .registrationMalformed(endpoint: endpoint, problem: "nothing: its URL is refused (\(error.description))")
        }
        var body = SecureWriter(capacity: 512)
        body.append(public: """
            {"client_name":"TokenVault","redirect_uris":["\(redirectURI)"],\
            "grant_types":["authorization_code","refresh_token"],"response_types":["code"],\
            "token_endpoint_auth_method":"none"}
            """)
        let response: HTTPResponse
        do {
            response = try Curl.postJSON(url: url, body: body.finish(), limits: limits)
        } catch {
            switch error {
            case .notSent(let reason), .noAnswer(let reason):
                throw .unreachable(what: "registration endpoint", url: endpoint, reason: reason)
            case .bodyTooLarge(let limit):
                throw .registrationMalformed(endpoint: endpoint, problem: "more than \(limit) bytes")
            }
        }
        let document = try? JSONDocument(copying: response.body)
        let fields = document.flatMap { JSONObject(root: $0) }
        let mask = EchoMask()
        func text(_ name: String) -> String? {
            guard let document, case .string(let range)? = fields?[name] else { return nil }
            return ServerText.clean(document.buffer.bytes(in: range), masking: mask)
        }
        guard (200..<300).contains(response.status) else {
            throw .registrationRefused(endpoint: endpoint, status: response.status, error: text("error"), description: text("error_description"))
        }
        guard let document, let fields, case .string(let idRange)? = fields["client_id"], !idRange.isEmpty,
              TokenSyntax.isToken(document.buffer.bytes(in: idRange)) else {
            throw .registrationMalformed(endpoint: endpoint, problem: "\(response.status) without a usable client_id")
        }
        var secret: Secret?
        if case .string(let range)? = fields["client_secret"], !range.isEmpty { secret = document.secret(range) }
        let method = fields.string("token_endpoint_auth_method").flatMap(ClientAuthMethod.init(rawValue:))
        return Client(
            clientID: document.string(idRange), clientSecret: secret,
            authMethod: method ?? (secret == nil ? .none : .clientSecretBasic)
        )
    }
}
