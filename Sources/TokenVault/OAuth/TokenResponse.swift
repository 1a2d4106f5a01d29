/// What a token endpoint answered, read from JSON in guarded memory.
enum TokenResponse {
    struct Tokens {
        /// `nil` when the answer's `access_token` is not a token (`refused` says so).
        let accessToken: Secret?
        let refreshToken: Secret?
        /// The token members present but refused: not visible ASCII.
        let refused: [String]

        /// What was wrong with the tokens, for messages: each refused member with its own
        /// article ("an access_token … and a refresh_token that is not visible ASCII").
        var refusal: String {
            let refused = refused.map { "\($0 == "access_token" ? "an" : "a") \($0) that is not visible ASCII" }
            return "the token endpoint answered with \(refused.joined(separator: " and "))"
        }
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

    /// Reads an answer. Text that ends up in messages, logs and the vault is never taken as it
    /// came: `error` and `error_description` are cleaned ([ServerText]): echoes of what was sent
    /// masked, control characters dropped, cut to 200 characters on one line. `scope` and
    /// `token_type` are stored whole or not at all: only when they follow RFC 6749's syntax and
    /// hold no echo of what was sent. Tokens must be visible ASCII (RFC 6749 §A.12, §A.17):
    /// a token with a line break, NUL, escape or space in it would be printed by
    /// `tokenvault token` and put in headers by callers.
    init(_ response: HTTPResponse, echoes: EchoMask) {
        let document = try? JSONDocument(copying: response.body)
        let fields = document.flatMap { JSONObject(root: $0) }
        func text(_ name: String) -> String? {
            guard let document, case .string(let range)? = fields?[name] else { return nil }
            return ServerText.clean(document.buffer.bytes(in: range), masking: echoes)
        }
        func exact(_ name: String, syntax: (UnsafeRawBufferPointer) -> Bool) -> String? {
            guard let document, case .string(let range)? = fields?[name] else { return nil }
            return ServerText.exact(document.buffer.bytes(in: range), masking: echoes, syntax: syntax)
        }
        guard (200..<300).contains(response.status) else {
            self = .failure(status: response.status, error: text("error"), description: text("error_description"))
            return
        }
        guard let document else {
            self = .malformed("the token endpoint answered \(response.status) with a body that is not JSON")
            return
        }
        guard case .string(let accessRange)? = fields?["access_token"], !accessRange.isEmpty else {
            self = .malformed("the token endpoint answered \(response.status) without an access_token")
            return
        }
        var refused: [String] = []
        func token(_ name: String, _ range: Range<Int>) -> Secret? {
            guard TokenSyntax.isToken(document.buffer.bytes(in: range)) else {
                refused.append(name)
                return nil
            }
            return document.secret(range)
        }
        let accessToken = token("access_token", accessRange)
        var refreshToken: Secret?
        if case .string(let range)? = fields?["refresh_token"], !range.isEmpty {
            refreshToken = token("refresh_token", range)
        }
        // A usable access token means the server has rotated: keep what it sent whatever else
        // is odd about the answer. An unreadable `expires_in` (null, "", "3600s", absurd) is an
        // unknown expiry, not a reason to present the spent refresh token again.
        func lifetime(_ name: String) -> Int64? {
            guard let value = fields?[name], let seconds = document.integer(value),
                  (0...Self.longestLifetime).contains(seconds) else { return nil }
            return seconds
        }
        self = .tokens(Tokens(
            accessToken: accessToken, refreshToken: refreshToken, refused: refused,
            tokenType: exact("token_type", syntax: TokenSyntax.isToken), scope: exact("scope", syntax: Self.isScope),
            expiresIn: lifetime("expires_in"), refreshTokenExpiresIn: lifetime("refresh_token_expires_in")
        ))
    }

    /// RFC 6749 §3.3: `scope-token *( SP scope-token )`, each token one or more NQCHAR
    /// (visible ASCII but `"` and `\`).
    static func isScope(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var previousWasSpace = true
        for byte in bytes {
            switch byte {
            case 0x20:
                guard !previousWasSpace else { return false }
                previousWasSpace = true
            case 0x21, 0x23...0x5B, 0x5D...0x7E:
                previousWasSpace = false
            default:
                return false
            }
        }
        return !previousWasSpace
    }
}
