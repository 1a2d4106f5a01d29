/// Tokens handed to `tokenvault import`, in any of the shapes users have:
///
/// - MCP Inspector's "Access Tokens" panel: `access_token`, `token_type`, `expires_in`, `scope`,
///   `refresh_token` (and maybe `id_token`, which is ignored). The panel has no issue time, so
///   the expiry counts from the import.
/// - The same object with the "Registered Client Information" panel's members merged in
///   (`client_id`, `client_secret`, `token_endpoint_auth_method`).
/// - The old plaintext files (`.mcp_tokens_*.json`): `access_token`, `refresh_token`,
///   `expires_at` (Unix seconds, or an ISO 8601 time) and `created_at`.
public struct ImportedTokens: Sendable {
    /// The access token; `nil` when the input had none.
    public var accessToken: Secret?
    /// The refresh token; `nil` when the input had none.
    public var refreshToken: Secret?
    /// `token_type`; `nil` when not given.
    public var tokenType: String?
    /// `scope`; `nil` when not given.
    public var scope: String?
    /// When the access token expires, from `expires_in` counted from the import, else
    /// `expires_at`; `nil` when unknown.
    public var expiresAt: UnixTime?
    /// When the refresh token expires, from `refresh_token_expires_in` counted from the import;
    /// `nil` when unknown.
    public var refreshTokenExpiresAt: UnixTime?
    /// When the tokens were obtained (`created_at` of the old files), for the refresh token's age.
    public var issuedAt: UnixTime?
    /// `client_id`; `nil` when the input had no client information.
    public var clientID: String?
    /// `client_secret`; `nil` for a public client or when not given.
    public var clientSecret: Secret?
    /// `token_endpoint_auth_method`; `nil` when not given.
    public var authMethod: ClientAuthMethod?

    /// Empty: nothing known, every member `nil`.
    public init() {}

    /// Parses token JSON held in guarded memory. The buffer is unescaped in place and the
    /// tokens point into it. `access_token` and `refresh_token` must be strings that look like
    /// tokens ([TokenSyntax]), as a token endpoint's must; null or empty is absent.
    public static func parse(_ input: Secret, now: UnixTime) throws(TokenInputError) -> ImportedTokens {
        let document: JSONDocument
        do {
            document = try JSONDocument(copying: input)
        } catch {
            throw TokenInputError.notJSON("\(error)")
        }
        guard let object = JSONObject(root: document) else {
            throw TokenInputError.notAnObject
        }
        return try ImportedTokens(reading: object, now: now)
    }

    /// Reads token members from `object` (OAuth's snake_case names, as `parse` takes them), a
    /// lifetime counted from `now`. The tokens point into the object's document.
    init(reading object: JSONObject, now: UnixTime) throws(TokenInputError) {
        let document = object.document
        func text(_ name: String) -> String? { object.string(name) }
        func lifetime(_ name: String) throws(TokenInputError) -> Int64? {
            guard let value = object[name] else { return nil }
            return try Self.lifetime(value, in: document, field: name)
        }
        var tokens = ImportedTokens()
        tokens.accessToken = try Self.token(object["access_token"], in: document, field: "access_token")
        tokens.refreshToken = try Self.token(object["refresh_token"], in: document, field: "refresh_token")
        tokens.tokenType = text("token_type")
        tokens.scope = text("scope")
        let expiresIn = try lifetime("expires_in")
        let refreshExpiresIn = try lifetime("refresh_token_expires_in")
        let expiresAtValue = object["expires_at"]
        let createdAtValue = object["created_at"]
        tokens.takeClient(from: object)
        if let expiresIn {
            tokens.expiresAt = now.clampedAdding(expiresIn)
        } else if let expiresAtValue {
            tokens.expiresAt = try Self.time(expiresAtValue, in: document, field: "expires_at")
        }
        tokens.refreshTokenExpiresAt = refreshExpiresIn.map { now.clampedAdding($0) }
        if let createdAtValue {
            tokens.issuedAt = try Self.time(createdAtValue, in: document, field: "created_at")
        }
        guard tokens.accessToken != nil || tokens.refreshToken != nil else {
            throw TokenInputError.noTokens
        }
        self = tokens
    }

    /// The client members of OAuth's client information (RFC 7591): `client_id`,
    /// `client_secret` and `token_endpoint_auth_method`, where `object` has them.
    mutating func takeClient(from object: JSONObject) {
        if let id = object.string("client_id") { clientID = id }
        if case .string(let range)? = object["client_secret"], !range.isEmpty { clientSecret = object.document.secret(range) }
        if let method = object.string("token_endpoint_auth_method").flatMap(ClientAuthMethod.init(rawValue:)) { authMethod = method }
    }

    /// A token member: absent when missing, null or empty, else a string that looks like a
    /// token (the rule a token endpoint's answer obeys), or the input is refused.
    static func token(_ value: JSONValue?, in document: JSONDocument, field: String) throws(TokenInputError) -> Secret? {
        switch value {
        case nil, .null?: return nil
        case .string(let range)?:
            if range.isEmpty { return nil }
            guard TokenSyntax.isToken(document.buffer.bytes(in: range)) else {
                throw TokenInputError.notAToken(field: field)
            }
            return document.secret(range)
        default:
            throw TokenInputError.notAToken(field: field)
        }
    }

    /// Seconds from now, within ten years either way (an already expired token has a negative
    /// `expires_in`); `null` is absent. A JSON number, or a string of plain decimal digits
    /// (`JSONDocument.integer`).
    private static func lifetime(_ value: JSONValue, in document: JSONDocument, field: String) throws(TokenInputError) -> Int64? {
        if case .null = value { return nil }
        guard let seconds = document.integer(value), seconds.magnitude <= 10 * 365 * 86_400 else {
            throw TokenInputError.badLifetime(field: field)
        }
        return seconds
    }

    static func time(_ value: JSONValue, in document: JSONDocument, field: String) throws(TokenInputError) -> UnixTime {
        if case .number = value, let seconds = document.integer(value) {
            // Milliseconds, as JavaScript writes them, are 1000 times too far in the future.
            let time = seconds > 100_000_000_000 ? seconds / 1000 : seconds
            if Self.plausible(time) { return time }
        }
        if case .string(let range) = value {
            if let seconds = document.integer(value), Self.plausible(seconds) { return seconds }
            let text = document.string(range)
            if let parsed = ISO8601.parse(text), Self.plausible(parsed) { return parsed }
        }
        throw TokenInputError.badTime(field: field)
    }
}

extension ImportedTokens {
    /// Years 1970 to 9999, the range of every time in a vault.
    static func plausible(_ time: UnixTime) -> Bool { VaultPayload.times.contains(time) }
}
