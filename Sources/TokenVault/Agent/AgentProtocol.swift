/// The agent's line protocol, version 1 (README, "Separating the app from the key"). One request
/// line and one answer line per connection:
///
///     tokenvault-agent/1 token PROFILE\n              → ok TOKEN\n | error CODE MESSAGE\n
///     tokenvault-agent/1 rejected PROFILE TOKEN\n     → ok TOKEN\n | error CODE MESSAGE\n
///
/// `rejected` carries the access token the resource server answered 401 to, so that the agent
/// refreshes once rather than serve it again. CODE is the exit code `tokenvault token` would
/// exit with; MESSAGE is one line without a token.
public enum AgentProtocol {
    /// The first word of every request.
    public static let version = "tokenvault-agent/1"
    /// The longest request line, newline included.
    public static let requestLimit = 4096
    /// The longest answer line, newline included: an access token fits in 64 KiB.
    public static let answerLimit = 64 * 1024 + 64
    /// Seconds a connection has to send its whole request line.
    public static let requestDeadline = 5

    /// What a client asks.
    enum Request {
        case token(profile: String)
        case rejected(profile: String, token: Secret)

        var profile: String {
            switch self {
            case .token(let profile), .rejected(let profile, _): return profile
            }
        }
    }

    /// The request in `line` (without its newline); `buffer` holds its bytes, so that a rejected
    /// token is taken from guarded memory without a copy.
    static func parse(_ buffer: SecureBuffer, count: Int) throws(AgentError) -> Request {
        let bytes = UnsafeRawBufferPointer(start: buffer.base, count: count)
        var words: [Range<Int>] = []
        var start = 0
        for index in 0...count where index == count || bytes[index] == UInt8(ascii: " ") {
            words.append(start..<index)
            start = index + 1
        }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        guard words.count >= 3, text(words[0]) == version else {
            throw .malformedRequest(reason: "expected '\(version) token PROFILE' or '\(version) rejected PROFILE TOKEN'")
        }
        let profile = text(words[2])
        guard ProfileName.isValid(profile) else { throw .malformedRequest(reason: "not a profile name") }
        switch (text(words[1]), words.count) {
        case ("token", 3):
            return .token(profile: profile)
        case ("rejected", 4) where !words[3].isEmpty:
            return .rejected(profile: profile, token: Secret(buffer: buffer, range: words[3]))
        default:
            throw .malformedRequest(reason: "expected '\(version) token PROFILE' or '\(version) rejected PROFILE TOKEN'")
        }
    }

    /// `error CODE MESSAGE\n`, the message on one line.
    static func errorAnswer(code: Int32, message: String) -> String {
        let line = message.map { $0.isNewline ? " " : $0 }
        return "error \(code) \(String(line))\n"
    }
}
