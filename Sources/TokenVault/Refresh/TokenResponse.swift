/// What a token endpoint answered, read from JSON in guarded memory.
enum TokenResponse {
    struct Tokens {
        let accessToken: Secret
        let refreshToken: Secret?
        let tokenType: String?
        let scope: String?
        let expiresIn: Int64?
        let refreshTokenExpiresIn: Int64?
    }

    case tokens(Tokens)
    /// An OAuth error response (RFC 6749 §5.2), or an HTTP error without one.
    case failure(status: Int, error: String?, description: String?)
    /// A success status whose body is not a token response.
    case malformed(String)

    init(_ response: HTTPResponse) {
        let buffer = response.body.withUnsafeBytes { SecureBuffer(copying: $0) }
        let document = try? JSONDocument(parsing: buffer, length: buffer.count)
        var fields: [String: JSONValue] = [:]
        if let document, case .object(let members) = document.root {
            for (key, value) in members { fields[document.string(key)] = value }
        }
        func text(_ name: String) -> String? {
            guard let document, case .string(let range)? = fields[name] else { return nil }
            return String(document.string(range).prefix(300))
        }
        guard (200..<300).contains(response.status) else {
            self = .failure(status: response.status, error: text("error"), description: text("error_description"))
            return
        }
        guard let document else {
            self = .malformed("the token endpoint answered \(response.status) with a body that is not JSON")
            return
        }
        guard case .string(let accessRange)? = fields["access_token"], !accessRange.isEmpty else {
            self = .malformed("the token endpoint answered \(response.status) without an access_token")
            return
        }
        var refreshToken: Secret?
        if case .string(let range)? = fields["refresh_token"], !range.isEmpty {
            refreshToken = document.secret(range)
        }
        let expiresIn = fields["expires_in"].flatMap(document.integer)
        if fields["expires_in"] != nil, expiresIn == nil {
            self = .malformed("the token endpoint sent an expires_in that is not a number")
            return
        }
        self = .tokens(Tokens(
            accessToken: document.secret(accessRange), refreshToken: refreshToken, tokenType: text("token_type"),
            scope: text("scope"), expiresIn: expiresIn,
            refreshTokenExpiresIn: fields["refresh_token_expires_in"].flatMap(document.integer)
        ))
    }
}

/// The `exp` claim of a JWT access token, for servers that send no `expires_in`. The token is
/// not verified: the claim only decides when to refresh, never whether to trust.
enum JWTExpiry {
    static func expiry(of token: Secret) -> UnixTime? {
        token.withUnsafeBytes { bytes -> UnixTime? in
            let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
            guard dots.count == 2 else { return nil }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(dots[0] + 1)..<dots[1]])
            guard let json = Sodium.decodeBase64(payload, variant: .urlSafeNoPadding) else { return nil }
            let buffer = json.withUnsafeBytes { SecureBuffer(copying: $0) }
            guard let document = try? JSONDocument(parsing: buffer, length: buffer.count),
                  case .object(let members) = document.root else { return nil }
            for (key, value) in members where document.bytesEqual(key, "exp") {
                if case .number = value { return document.integer(value) }
            }
            return nil
        }
    }
}
