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

    /// The longest lifetime taken from a server (ten years); anything longer, negative or not a
    /// number counts as unknown, so no arithmetic on it can overflow.
    static let longestLifetime: Int64 = 10 * 365 * 86_400

    /// Reads an answer. Text that ends up in messages, logs and the vault (`error`,
    /// `error_description`, `token_type`, `scope`) is cleaned first: every occurrence of the
    /// `sent` secrets (raw or form-encoded) is masked in guarded memory, control characters are
    /// dropped, and it is cut to 200 characters on one line.
    init(_ response: HTTPResponse, sent: [Secret]) {
        let buffer = response.body.withUnsafeBytes { SecureBuffer(copying: $0) }
        let document = try? JSONDocument(parsing: buffer, length: buffer.count)
        var fields: [String: JSONValue] = [:]
        if let document, case .object(let members) = document.root {
            for (key, value) in members { fields[document.string(key)] = value }
        }
        func text(_ name: String) -> String? {
            guard let document, case .string(let range)? = fields[name] else { return nil }
            return ServerText.clean(range, in: document.buffer, masking: sent)
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
        // A usable access token means the server has rotated: keep what it sent whatever else
        // is odd about the answer. An unreadable `expires_in` (null, "", "3600s", absurd) is an
        // unknown expiry, not a reason to present the spent refresh token again.
        func lifetime(_ name: String) -> Int64? {
            guard let value = fields[name], let seconds = document.integer(value),
                  (0...Self.longestLifetime).contains(seconds) else { return nil }
            return seconds
        }
        self = .tokens(Tokens(
            accessToken: document.secret(accessRange), refreshToken: refreshToken, tokenType: text("token_type"),
            scope: text("scope"), expiresIn: lifetime("expires_in"),
            refreshTokenExpiresIn: lifetime("refresh_token_expires_in")
        ))
    }
}

/// Text from a server, made safe to print, log and store.
enum ServerText {
    static let limit = 200

    static func clean(_ range: Range<Int>, in buffer: SecureBuffer, masking secrets: [Secret]) -> String {
        let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[range])
        for secret in secrets where secret.count >= 4 {
            mask(secret, in: bytes)
            var encoded = SecureWriter(capacity: secret.count * 3 + 1)
            secret.withUnsafeBytes { encoded.appendFormEncoded($0) }
            mask(encoded.finish(), in: bytes)
        }
        return clean(String(decoding: bytes, as: UTF8.self))
    }

    /// One line, no control characters (C0, DEL, C1), at most `limit` characters.
    static func clean(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if out.unicodeScalars.count >= limit { out += "…"; break }
            switch scalar.value {
            case 0x0A, 0x0D, 0x09: out += " "
            case 0x00..<0x20, 0x7F..<0xA0: continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Overwrites every occurrence of `secret` in `bytes` with `*`.
    private static func mask(_ secret: Secret, in bytes: UnsafeMutableRawBufferPointer) {
        secret.withUnsafeBytes { needle in
            guard needle.count <= bytes.count else { return }
            var index = 0
            while index + needle.count <= bytes.count {
                if UnsafeRawBufferPointer(rebasing: bytes[index..<(index + needle.count)]).elementsEqual(needle) {
                    for offset in index..<(index + needle.count) { bytes[offset] = UInt8(ascii: "*") }
                    index += needle.count
                } else {
                    index += 1
                }
            }
        }
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
                // Years 1970 to 9999: anything else is a broken claim, not an expiry.
                if case .number = value, let exp = document.integer(value), (0...253_402_300_799).contains(exp) { return exp }
            }
            return nil
        }
    }
}
