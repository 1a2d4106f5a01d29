/// The JSON inside the box (SECURITY.md, "Payload"):
/// `{"version":1,"profiles":{"NAME":{…},…}}`, profiles in name order, padded with
/// `sodium_pad` to a multiple of `VaultPayload.blockSize` bytes.
enum VaultPayload {
    static let version: Int64 = 1
    static let blockSize = 256

    /// Serialises and pads `profiles` into guarded memory.
    static func encode(_ profiles: [String: TokenProfile]) -> Secret {
        var out = SecureWriter(capacity: 512 + profiles.count * 1024)
        out.append("{\"version\":")
        out.appendJSON(version)
        out.append(",\"profiles\":{")
        for (index, name) in profiles.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(public: name)
            out.append(UInt8(ascii: ":"))
            encode(profiles[name]!, into: &out)
        }
        out.append("}}")
        out.pad(toMultipleOf: blockSize)
        return out.finish()
    }

    private static func encode(_ profile: TokenProfile, into out: inout SecureWriter) {
        out.append(UInt8(ascii: "{"))
        out.appendJSONKey("access_token", first: true); out.appendJSON(profile.accessToken)
        out.appendJSONKey("refresh_token"); out.appendJSON(profile.refreshToken)
        out.appendJSONKey("token_type"); out.appendJSON(public: profile.tokenType)
        out.appendJSONKey("scope"); out.appendJSON(public: profile.scope)
        out.appendJSONKey("expires_at"); out.appendJSON(profile.expiresAt)
        out.appendJSONKey("refresh_token_expires_at"); out.appendJSON(profile.refreshTokenExpiresAt)
        out.appendJSONKey("refresh_token_lifetime"); out.appendJSON(profile.refreshTokenLifetime)
        out.appendJSONKey("refresh_token_issued_at"); out.appendJSON(profile.refreshTokenIssuedAt)
        out.appendJSONKey("imported_at"); out.appendJSON(profile.importedAt)
        out.appendJSONKey("refreshed_at"); out.appendJSON(profile.refreshedAt)
        let binding = profile.binding
        out.appendJSONKey("token_endpoint"); out.appendJSON(public: binding.tokenEndpoint)
        out.appendJSONKey("client_id"); out.appendJSON(public: binding.clientID)
        out.appendJSONKey("client_secret"); out.appendJSON(binding.clientSecret)
        out.appendJSONKey("token_endpoint_auth_method"); out.appendJSON(public: binding.authMethod.rawValue)
        out.appendJSONKey("resource"); out.appendJSON(public: binding.resource)
        out.appendJSONKey("issuer"); out.appendJSON(public: binding.issuer)
        let state = profile.refreshState
        out.appendJSONKey("reauth_required"); out.appendJSON(state.reauthenticationRequired)
        out.appendJSONKey("client_rejected"); out.appendJSON(state.clientRejected)
        out.appendJSONKey("last_error"); out.appendJSON(public: state.lastError)
        out.appendJSONKey("last_error_at"); out.appendJSON(state.lastErrorAt)
        out.appendJSONKey("failures"); out.appendJSON(state.consecutiveFailures)
        out.appendJSONKey("retry_after"); out.appendJSON(state.retryAfter)
        out.appendJSONKey("ambiguous_spend_at"); out.appendJSON(state.ambiguousSpendAt)
        out.append(UInt8(ascii: "}"))
    }

    /// Parses an opened, still padded payload. Strings are unescaped in place in `plaintext`,
    /// and the profiles' tokens point into it.
    static func decode(_ plaintext: SecureBuffer) throws(VaultFormatError) -> [String: TokenProfile] {
        guard let length = SecretBox.unpaddedLength(of: UnsafeRawBufferPointer(plaintext.bytes), blockSize: blockSize)
        else { throw .badPadding }
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: plaintext, length: length)
        } catch {
            throw .badPayload("payload is not JSON: \(error)")
        }
        guard case .object(let members) = document.root else { throw .badPayload("payload is not a JSON object") }
        var version: Int64?
        var profilesValue: JSONValue?
        for (key, value) in members {
            if document.bytesEqual(key, "version") {
                guard case .number = value else { throw .badPayload("payload version is not a number") }
                version = document.integer(value)
            } else if document.bytesEqual(key, "profiles") {
                profilesValue = value
            }
        }
        // The version decides how the rest reads, so it is checked before anything else.
        guard let version else { throw .badPayload("payload has no version") }
        guard version == Self.version else { throw .unsupportedPayloadVersion(version) }
        guard case .object(let entries)? = profilesValue else { throw .badPayload("\"profiles\" is missing or not an object") }
        var profiles: [String: TokenProfile] = [:]
        profiles.reserveCapacity(entries.count)
        for (name, body) in entries {
            let profileName = document.string(name)
            profiles[profileName] = try decodeProfile(body, named: profileName, in: document)
        }
        return profiles
    }

    private static func decodeProfile(
        _ value: JSONValue, named name: String, in document: JSONDocument
    ) throws(VaultFormatError) -> TokenProfile {
        guard case .object(let members) = value else { throw .badPayload("profile \(name) is not an object") }
        var fields = ProfileFields(document: document)
        for (key, member) in members {
            fields.take(document.string(key), member)
        }
        guard let tokenEndpoint = fields.text("token_endpoint"), let clientID = fields.text("client_id") else {
            throw .badPayload("profile \(name) has no token_endpoint or client_id")
        }
        let importedAt = fields.integer("imported_at") ?? 0
        let authMethod = fields.text("token_endpoint_auth_method").flatMap(ClientAuthMethod.init(rawValue:))
        var profile = TokenProfile(
            accessToken: fields.secret("access_token"),
            refreshToken: fields.secret("refresh_token"),
            tokenType: fields.text("token_type") ?? "Bearer",
            scope: fields.text("scope"),
            expiresAt: fields.integer("expires_at"),
            importedAt: importedAt,
            binding: RefreshBinding(
                tokenEndpoint: tokenEndpoint, clientID: clientID, clientSecret: fields.secret("client_secret"),
                authMethod: authMethod, resource: fields.text("resource"), issuer: fields.text("issuer")
            )
        )
        profile.refreshTokenExpiresAt = fields.integer("refresh_token_expires_at")
        profile.refreshTokenLifetime = fields.integer("refresh_token_lifetime")
        profile.refreshTokenIssuedAt = fields.integer("refresh_token_issued_at") ?? importedAt
        profile.refreshedAt = fields.integer("refreshed_at")
        profile.refreshState.reauthenticationRequired = fields.bool("reauth_required")
        profile.refreshState.clientRejected = fields.bool("client_rejected")
        profile.refreshState.lastError = fields.text("last_error")
        profile.refreshState.lastErrorAt = fields.integer("last_error_at")
        profile.refreshState.consecutiveFailures = fields.integer("failures") ?? 0
        profile.refreshState.retryAfter = fields.integer("retry_after")
        profile.refreshState.ambiguousSpendAt = fields.integer("ambiguous_spend_at")
        return profile
    }
}

/// The members of one JSON object by name; unknown members are ignored (SECURITY.md,
/// "Compatibility").
private struct ProfileFields {
    let document: JSONDocument
    var values: [String: JSONValue] = [:]

    init(document: JSONDocument) { self.document = document }

    mutating func take(_ key: String, _ value: JSONValue) { values[key] = value }

    func text(_ key: String) -> String? {
        guard case .string(let range)? = values[key] else { return nil }
        return document.string(range)
    }

    func secret(_ key: String) -> Secret? {
        guard case .string(let range)? = values[key], !range.isEmpty else { return nil }
        return document.secret(range)
    }

    func integer(_ key: String) -> Int64? {
        values[key].flatMap(document.integer)
    }

    func bool(_ key: String) -> Bool {
        guard case .bool(let flag)? = values[key] else { return false }
        return flag
    }
}
