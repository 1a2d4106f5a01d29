/// Why token input (JSON on stdin or in a file, a paste or a typed token at the prompt) is not
/// usable. The cases name the field at fault; none carries a token or the input's text.
public enum TokenInputError: Error, Sendable, Equatable {
    /// Not JSON; the parser's reason, which quotes no input.
    case notJSON(String)
    /// JSON, but not an object.
    case notAnObject
    /// An object with neither an `access_token` nor a `refresh_token`.
    case noTokens
    /// A lifetime (`expires_in`, `refresh_token_expires_in`) that is not whole seconds within
    /// ten years.
    case badLifetime(field: String)
    /// A time (`expires_at`, `created_at`) that is neither Unix seconds nor an ISO 8601 time.
    case badTime(field: String)
    /// `field` in token JSON is not a token: not a string, or not visible ASCII (0x21-0x7E).
    case notAToken(field: String)
    /// What was typed at the prompt as `field` is not token-shaped.
    case notTokenShaped(field: String)
    /// A paste at the prompt longer than `limit` bytes.
    case pasteTooLong(limit: Int)
    /// The input ended before the pasted JSON object closed.
    case pasteUnfinished
}

extension TokenInputError: CustomStringConvertible {
    /// What is wrong with the token input, as a message for a person.
    public var description: String {
        switch self {
        case .notJSON(let reason): return "the token input is not valid JSON (\(reason))"
        case .notAnObject: return "the token input is not a JSON object"
        case .noTokens: return "the token input has neither an access_token nor a refresh_token"
        case .badLifetime(let field): return "\(field) is not a number of seconds within ten years"
        case .badTime(let field): return "\(field) is neither Unix seconds nor an ISO 8601 time"
        case .notAToken(let field):
            return "\(field) in the token input is not a token: a token is a string of visible ASCII, without spaces, line breaks, control characters or non-ASCII"
        case .notTokenShaped(let field):
            return "what was entered as \(field) does not look like a token: a token is visible ASCII without spaces, braces or quotes"
        case .pasteTooLong(let limit): return "the pasted JSON is longer than \(limit / 1024) KiB"
        case .pasteUnfinished: return "the pasted JSON ended before its closing brace"
        }
    }
}
