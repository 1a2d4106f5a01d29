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
    public var accessToken: Secret?
    public var refreshToken: Secret?
    public var tokenType: String?
    public var scope: String?
    public var expiresAt: UnixTime?
    public var refreshTokenExpiresAt: UnixTime?
    /// When the tokens were obtained (`created_at` of the old files), for the refresh token's age.
    public var issuedAt: UnixTime?
    public var clientID: String?
    public var clientSecret: Secret?
    public var authMethod: ClientAuthMethod?

    public init() {}

    /// Parses token JSON held in guarded memory. The buffer is unescaped in place and the
    /// tokens point into it. `access_token` and `refresh_token` must be strings that look like
    /// tokens ([TokenSyntax]), as a token endpoint's must; null or empty is absent.
    public static func parse(_ input: Secret, now: UnixTime) throws(VaultError) -> ImportedTokens {
        let buffer = SecureBuffer(count: input.count)
        input.withUnsafeBytes { buffer.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: buffer, length: buffer.count)
        } catch {
            throw .invalidInput("the token input is not valid JSON (\(error))")
        }
        guard case .object(let members) = document.root else {
            throw .invalidInput("the token input is not a JSON object")
        }
        var tokens = ImportedTokens()
        var expiresIn: Int64?
        var refreshExpiresIn: Int64?
        var expiresAtValue: JSONValue?
        var createdAtValue: JSONValue?
        for (key, value) in members {
            func text() -> String? {
                if case .string(let range) = value { return document.string(range) }
                return nil
            }
            func secret() -> Secret? {
                if case .string(let range) = value, !range.isEmpty { return document.secret(range) }
                return nil
            }
            /// A token member: absent when null or empty, else a string that looks like a token
            /// (the rule a token endpoint's answer obeys), or the import is refused.
            func token(_ name: String) throws(VaultError) -> Secret? {
                switch value {
                case .null: return nil
                case .string(let range):
                    if range.isEmpty { return nil }
                    guard TokenSyntax.isToken(document.buffer.bytes(in: range)) else {
                        throw .invalidInput("\(name) in the token input is not a token: a token is visible ASCII, without spaces, line breaks, control characters or non-ASCII")
                    }
                    return document.secret(range)
                default:
                    throw .invalidInput("\(name) in the token input is not a string")
                }
            }
            switch document.string(key) {
            case "access_token": tokens.accessToken = try token("access_token")
            case "refresh_token": tokens.refreshToken = try token("refresh_token")
            case "token_type": tokens.tokenType = text()
            case "scope": tokens.scope = text()
            case "expires_in": expiresIn = try Self.lifetime(value, in: document, field: "expires_in")
            case "refresh_token_expires_in": refreshExpiresIn = try Self.lifetime(value, in: document, field: "refresh_token_expires_in")
            case "expires_at": expiresAtValue = value
            case "created_at": createdAtValue = value
            case "client_id": tokens.clientID = text()
            case "client_secret": tokens.clientSecret = secret()
            case "token_endpoint_auth_method": tokens.authMethod = text().flatMap(ClientAuthMethod.init(rawValue:))
            default: break
            }
        }
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
            throw .invalidInput("the token input has neither an access_token nor a refresh_token")
        }
        return tokens
    }

    /// Seconds from now, within ten years either way (an already expired token has a negative
    /// `expires_in`); `null` is absent. A JSON number, or a string of plain decimal digits
    /// (`JSONDocument.integer`).
    private static func lifetime(_ value: JSONValue, in document: JSONDocument, field: String) throws(VaultError) -> Int64? {
        if case .null = value { return nil }
        guard let seconds = document.integer(value), seconds.magnitude <= 10 * 365 * 86_400 else {
            throw .invalidInput("\(field) is not a number of seconds within ten years")
        }
        return seconds
    }

    private static func time(_ value: JSONValue, in document: JSONDocument, field: String) throws(VaultError) -> UnixTime {
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
        throw .invalidInput("\(field) is neither Unix seconds nor an ISO 8601 time")
    }
}

extension ImportedTokens {
    /// Years 1970 to 9999, the range of every time in a vault.
    static func plausible(_ time: UnixTime) -> Bool { VaultPayload.times.contains(time) }
}

/// Just enough ISO 8601 for token files: `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`; a time without
/// an offset is taken as UTC.
enum ISO8601 {
    static func parse(_ text: String) -> UnixTime? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start..<(start + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        var offset: Int64 = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard let hours = number(index + 1, 2), let minutes = number(index + 4, 2),
                      bytes.count > index + 3, bytes[index + 3] == UInt8(ascii: ":") else { return nil }
                offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
                index += 6
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
