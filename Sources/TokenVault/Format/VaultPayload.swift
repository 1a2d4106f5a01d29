/// The JSON inside the box (SECURITY.md, "Payload"):
/// `{"version":1,"profiles":{"NAME":{…},…}}`, profiles in the byte order of their names, padded
/// with `sodium_pad` to a multiple of `VaultPayload.blockSize` bytes.
enum VaultPayload {
    static let version: Int64 = 1
    static let blockSize = 256
    /// What a time member may hold: 1970-01-01 to 9999-12-31 23:59:59 UTC, in Unix seconds. So
    /// does `refresh_token_lifetime`, in seconds. A reader refuses a payload with a value outside;
    /// the writer clamps into it, so that what it writes it can read.
    static let times: ClosedRange<Int64> = 0...253_402_300_799
    /// What `failures` may hold.
    static let counts: ClosedRange<Int64> = 0...Int64.max

    /// Serialises and pads `profiles` into guarded memory.
    static func encode(_ profiles: [String: TokenProfile]) -> Secret {
        encode(profiles, reusing: nil).bytes
    }

    /// Serialises and pads `profiles` into guarded memory, copying from `previous` the object of
    /// every profile that encodes the same as the one `previous` encoded under its name
    /// (`EncodedPayload.encodesSame`) and encoding the others: the bytes are those of encoding
    /// every profile. With the same names as `previous`, their order is taken from it too.
    static func encode(_ profiles: [String: TokenProfile], reusing previous: EncodedPayload?) -> EncodedPayload {
        let names: [String]
        if let previous, previous.names.count == profiles.count,
           previous.names.allSatisfy({ profiles.index(forKey: $0) != nil }) {
            names = previous.names
        } else {
            names = profiles.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
        // Which objects are copied, found before the writer is sized.
        var copies = [Range<Int>?](repeating: nil, count: names.count)
        var capacity = 64 + blockSize
        for (index, name) in names.enumerated() {
            let profile = profiles[name]!
            if let previous, let kept = previous.profiles[name], let position = previous.position(of: name, near: index),
               EncodedPayload.encodesSame(profile, kept) {
                copies[index] = previous.objects[position]
                capacity += name.utf8.count + 8 + previous.objects[position].count
            } else {
                capacity += name.utf8.count + estimatedSize(of: profile)
            }
        }
        // Sized up front: guarded memory is locked and filled page by page, and growing it by
        // doubling would, for a vault of many profiles, lock twice the payload and copy it. Over
        // 64 KiB, rounded up to 64 KiB, so that the next write's payload is usually the same size
        // and reuses this one's allocation once it is released (SecureBuffer+Recycling.swift).
        if capacity > 1 << 16 { capacity = (capacity + (1 << 16) - 1) & ~((1 << 16) - 1) }
        var out = SecureWriter(capacity: capacity)
        var objects: [Range<Int>] = []
        objects.reserveCapacity(names.count)
        out.append("{\"version\":")
        out.appendJSON(version)
        out.append(",\"profiles\":{")
        for (index, name) in names.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(public: name)
            out.append(UInt8(ascii: ":"))
            let start = out.count
            if let copy = copies[index], let previous {
                previous.bytes.withUnsafeBytes { out.append(UnsafeRawBufferPointer(rebasing: $0[copy])) }
            } else {
                encode(profiles[name]!, into: &out)
            }
            objects.append(start..<out.count)
        }
        out.append("}}")
        out.pad(toMultipleOf: blockSize)
        return EncodedPayload(bytes: out.finish(), names: names, profiles: profiles, objects: objects)
    }

    /// About what `encode(_:into:)` writes for `profile`: its strings and secrets, plus at most
    /// 640 bytes of member names, punctuation and numbers (more only when strings need escapes,
    /// and then the writer grows).
    private static func estimatedSize(of profile: TokenProfile) -> Int {
        func size(_ secret: Secret?) -> Int { secret?.count ?? 0 }
        func size(_ text: String?) -> Int { text?.utf8.count ?? 0 }
        let binding = profile.binding
        return 640 + size(profile.accessToken) + size(profile.refreshToken) + size(binding.clientSecret)
            + size(profile.tokenType) + size(profile.scope) + size(binding.tokenEndpoint) + size(binding.clientID)
            + size(binding.resource) + size(binding.issuer) + size(profile.refreshState.lastError)
            + (profile.spentRefreshTokens.count + 1) * (TokenDigest.byteCount * 2 + 3)
    }

    private static func encode(_ profile: TokenProfile, into out: inout SecureWriter) {
        out.append(UInt8(ascii: "{"))
        out.appendJSONKey(.accessToken, first: true); out.appendJSON(profile.accessToken)
        out.appendJSONKey(.refreshToken); out.appendJSON(profile.refreshToken)
        out.appendJSONKey(.tokenType); out.appendJSON(public: profile.tokenType)
        out.appendJSONKey(.scope); out.appendJSON(public: profile.scope)
        out.appendJSONKey(.expiresAt); out.appendJSON(profile.expiresAt, clampedTo: times)
        out.appendJSONKey(.refreshTokenExpiresAt); out.appendJSON(profile.refreshTokenExpiresAt, clampedTo: times)
        out.appendJSONKey(.refreshTokenLifetime); out.appendJSON(profile.refreshTokenLifetime, clampedTo: times)
        out.appendJSONKey(.refreshTokenIssuedAt); out.appendJSON(profile.refreshTokenIssuedAt, clampedTo: times)
        out.appendJSONKey(.importedAt); out.appendJSON(profile.importedAt, clampedTo: times)
        out.appendJSONKey(.refreshedAt); out.appendJSON(profile.refreshedAt, clampedTo: times)
        let binding = profile.binding
        out.appendJSONKey(.tokenEndpoint); out.appendJSON(public: binding.tokenEndpoint)
        out.appendJSONKey(.clientID); out.appendJSON(public: binding.clientID)
        out.appendJSONKey(.clientSecret); out.appendJSON(binding.clientSecret)
        out.appendJSONKey(.authMethod); out.appendJSON(public: binding.authMethod.rawValue)
        out.appendJSONKey(.resource); out.appendJSON(public: binding.resource)
        out.appendJSONKey(.issuer); out.appendJSON(public: binding.issuer)
        let state = profile.refreshState
        out.appendJSONKey(.reauthenticationRequired); out.appendJSON(state.reauthenticationRequired)
        out.appendJSONKey(.clientRejected); out.appendJSON(state.clientRejected)
        out.appendJSONKey(.lastError); out.appendJSON(public: state.lastError)
        out.appendJSONKey(.lastErrorAt); out.appendJSON(state.lastErrorAt, clampedTo: times)
        out.appendJSONKey(.failures); out.appendJSON(state.consecutiveFailures, clampedTo: counts)
        out.appendJSONKey(.retryAfter); out.appendJSON(state.retryAfter, clampedTo: times)
        out.appendJSONKey(.ambiguousSpendAt); out.appendJSON(state.ambiguousSpendAt, clampedTo: times)
        out.appendJSONKey(.rolledBackAt); out.appendJSON(state.rolledBackAt, clampedTo: times)
        out.appendJSONKey(.spentRefreshTokens)
        out.append(UInt8(ascii: "["))
        for (index, digest) in profile.spentRefreshTokens.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(public: digest.description)
        }
        out.append(UInt8(ascii: "]"))
        out.appendJSONKey(.importedRefreshToken); out.appendJSON(public: profile.importedRefreshToken?.description)
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
        // Every member, not a JSONObject lookup: every top-level `version` must be a number, not
        // only the last (SECURITY.md, "Repeated names").
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
        for (index, (name, body)) in entries.enumerated() {
            // Names become file names (refresh locks) and words in commands: the rule is checked on
            // the bytes, and the message names no byte of a name that breaks it.
            guard ProfileName.isValid(document.buffer.bytes(in: name)) else {
                throw .badPayload("profile name number \(index + 1) is not 1-64 of A-Z a-z 0-9 - _ ., not starting with '.'")
            }
            let profileName = document.string(name)
            profiles[profileName] = try decodeProfile(body, named: profileName, in: document)
        }
        return profiles
    }

    private static func decodeProfile(
        _ value: JSONValue, named name: String, in document: JSONDocument
    ) throws(VaultFormatError) -> TokenProfile {
        guard case .object(let members) = value else { throw .badPayload("profile \(name) is not an object") }
        let fields = ProfileFields(members, of: name, in: document)
        guard let tokenEndpoint = try fields.text(.tokenEndpoint), let clientID = try fields.text(.clientID) else {
            throw .badPayload("profile \(name) has no token_endpoint or client_id")
        }
        let importedAt = try fields.integer(.importedAt, in: times) ?? 0
        let authMethod = try fields.text(.authMethod).flatMap(ClientAuthMethod.init(rawValue:))
        var profile = TokenProfile(
            accessToken: fields.secret(.accessToken),
            refreshToken: fields.secret(.refreshToken),
            tokenType: try fields.text(.tokenType) ?? "Bearer",
            scope: try fields.text(.scope),
            expiresAt: try fields.integer(.expiresAt, in: times),
            importedAt: importedAt,
            binding: RefreshBinding(
                tokenEndpoint: tokenEndpoint, clientID: clientID, clientSecret: fields.secret(.clientSecret),
                authMethod: authMethod, resource: try fields.text(.resource), issuer: try fields.text(.issuer)
            )
        )
        profile.refreshTokenExpiresAt = try fields.integer(.refreshTokenExpiresAt, in: times)
        profile.refreshTokenLifetime = try fields.integer(.refreshTokenLifetime, in: times)
        profile.refreshTokenIssuedAt = try fields.integer(.refreshTokenIssuedAt, in: times) ?? importedAt
        profile.refreshedAt = try fields.integer(.refreshedAt, in: times)
        profile.refreshState.reauthenticationRequired = fields.bool(.reauthenticationRequired)
        profile.refreshState.clientRejected = fields.bool(.clientRejected)
        profile.refreshState.lastError = try fields.text(.lastError)
        profile.refreshState.lastErrorAt = try fields.integer(.lastErrorAt, in: times)
        profile.refreshState.consecutiveFailures = try fields.integer(.failures, in: counts) ?? 0
        profile.refreshState.retryAfter = try fields.integer(.retryAfter, in: times)
        profile.refreshState.ambiguousSpendAt = try fields.integer(.ambiguousSpendAt, in: times)
        profile.refreshState.rolledBackAt = try fields.integer(.rolledBackAt, in: times)
        profile.spentRefreshTokens = Array(fields.digests(.spentRefreshTokens).prefix(TokenProfile.spentHistoryLimit))
        profile.importedRefreshToken = fields.digest(.importedRefreshToken)
        return profile
    }
}

/// The members of one profile object; unknown members are ignored (SECURITY.md,
/// "Compatibility"), and of a repeated member the last counts. Names are matched on their
/// bytes, in the order `encode` writes them first, so a vault of many profiles is read without
/// a `String` or a dictionary per member.
private struct ProfileFields {
    /// The members a profile has, in the order `encode` writes them.
    enum Field: Int, CaseIterable {
        case accessToken, refreshToken, tokenType, scope, expiresAt, refreshTokenExpiresAt, refreshTokenLifetime
        case refreshTokenIssuedAt, importedAt, refreshedAt, tokenEndpoint, clientID, clientSecret, authMethod
        case resource, issuer, reauthenticationRequired, clientRejected, lastError, lastErrorAt, failures
        case retryAfter, ambiguousSpendAt, rolledBackAt, spentRefreshTokens, importedRefreshToken

        var name: StaticString {
            switch self {
            case .accessToken: "access_token"
            case .refreshToken: "refresh_token"
            case .tokenType: "token_type"
            case .scope: "scope"
            case .expiresAt: "expires_at"
            case .refreshTokenExpiresAt: "refresh_token_expires_at"
            case .refreshTokenLifetime: "refresh_token_lifetime"
            case .refreshTokenIssuedAt: "refresh_token_issued_at"
            case .importedAt: "imported_at"
            case .refreshedAt: "refreshed_at"
            case .tokenEndpoint: "token_endpoint"
            case .clientID: "client_id"
            case .clientSecret: "client_secret"
            case .authMethod: "token_endpoint_auth_method"
            case .resource: "resource"
            case .issuer: "issuer"
            case .reauthenticationRequired: "reauth_required"
            case .clientRejected: "client_rejected"
            case .lastError: "last_error"
            case .lastErrorAt: "last_error_at"
            case .failures: "failures"
            case .retryAfter: "retry_after"
            case .ambiguousSpendAt: "ambiguous_spend_at"
            case .rolledBackAt: "rolled_back_at"
            case .spentRefreshTokens: "spent_refresh_tokens"
            case .importedRefreshToken: "imported_refresh_token"
            }
        }
    }

    let document: JSONDocument
    let members: [(key: Range<Int>, value: JSONValue)]
    /// The profile's name, for messages.
    let profile: String
    /// Where each field is in `members`, by `Field.rawValue`; -1 when it is absent.
    private var positions: [Int32]

    init(_ members: [(key: Range<Int>, value: JSONValue)], of profile: String, in document: JSONDocument) {
        self.document = document
        self.members = members
        self.profile = profile
        positions = Array(repeating: -1, count: Field.allCases.count)
        var expected = 0
        for index in members.indices {
            let key = members[index].key
            // The member `encode` writes next usually is the next one; else look it up.
            var field = Field(rawValue: expected)
            if field == nil || !document.bytesEqual(key, field!.name) {
                field = Field.allCases.first { document.bytesEqual(key, $0.name) }
            }
            guard let field else { continue }
            positions[field.rawValue] = Int32(index)
            expected = field.rawValue + 1
        }
    }

    private func value(_ field: Field) -> JSONValue? {
        let position = positions[field.rawValue]
        return position < 0 ? nil : members[Int(position)].value
    }

    /// A text member: `nil` when absent or not a string. Text must be valid UTF-8, so that it is
    /// written back byte for byte; tokens and the client secret are opaque bytes (`secret`).
    func text(_ field: Field) throws(VaultFormatError) -> String? {
        guard case .string(let range)? = value(field) else { return nil }
        guard let text = document.validString(range) else { throw .badPayload("profile \(profile): \(field.name) is not UTF-8") }
        return text
    }

    func secret(_ field: Field) -> Secret? {
        guard case .string(let range)? = value(field), !range.isEmpty else { return nil }
        return document.secret(range)
    }

    /// An integer member (SECURITY.md, "Integers"): `nil` when absent, of another type, or a
    /// string not written like a 64-bit JSON integer. A number that is no such integer, or any
    /// integer outside `bounds`, makes the payload malformed.
    func integer(_ field: Field, in bounds: ClosedRange<Int64>) throws(VaultFormatError) -> Int64? {
        guard let value = value(field) else { return nil }
        guard let integer = document.integer(value) else {
            if case .number = value { throw outOf(bounds, field) }
            return nil
        }
        guard bounds.contains(integer) else { throw outOf(bounds, field) }
        return integer
    }

    private func outOf(_ bounds: ClosedRange<Int64>, _ field: Field) -> VaultFormatError {
        .badPayload("profile \(profile): \(field.name) is not an integer from \(bounds.lowerBound) to \(bounds.upperBound)")
    }

    /// A digest written as 32 lowercase hex digits; anything else counts as absent.
    func digest(_ field: Field) -> TokenDigest? {
        guard case .string(let range)? = value(field) else { return nil }
        return TokenDigest(hex: document.buffer.bytes(in: range))
    }

    /// An array of digests; elements that are not digests are skipped.
    func digests(_ field: Field) -> [TokenDigest] {
        guard case .array(let elements)? = value(field) else { return [] }
        return elements.compactMap { element in
            guard case .string(let range) = element else { return nil }
            return TokenDigest(hex: document.buffer.bytes(in: range))
        }
    }

    func bool(_ field: Field) -> Bool {
        guard case .bool(let flag)? = value(field) else { return false }
        return flag
    }
}

/// A profile member's name written from the one table of names, `ProfileFields.Field`.
private extension SecureWriter {
    mutating func appendJSONKey(_ field: ProfileFields.Field, first: Bool = false) {
        appendJSONKey(field.name, first: first)
    }
}
