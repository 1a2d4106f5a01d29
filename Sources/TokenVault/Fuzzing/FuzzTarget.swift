/// The parsers that read what others hand TokenVault, as entry points for `tokenvault-fuzz`:
/// libFuzzer's target when built by `scripts/fuzz`, and the replayer the tests run every checked-in
/// corpus through. Each takes any bytes, runs one parser over them and traps when a promise breaks
/// (a round trip that does not give back what went in, a result outside its documented range);
/// a trap inside the parser (an overflow, an index out of range) is a finding too.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// The JSON reader (`JSONDocument`): every range it keeps lies inside the document.
    case json
    /// A vault payload (its JSON, padded here): decode, encode, decode gives the same profiles.
    case payload
    /// `tokenvault import`'s input (`ImportedTokens.parse`).
    case `import`
    /// A token endpoint's answer: an optional `NNN\n` status line (200 without one), then the
    /// body. Tokens taken are visible ASCII; server text comes out without control characters
    /// or the secrets that were sent.
    case tokenResponse = "token-response"
    /// Token endpoint URLs (`EndpointURL`): plain http only to loopback, and an accepted URL
    /// rebuilt from its parts is accepted with the same parts.
    case url
    /// Keyfiles (`KeyRing.parse`): every key read writes back as a line that reads as that key.
    case keyfile
    /// `Retry-After` values: delay-seconds or an HTTP-date, always 0 to 86 400 seconds.
    case retryAfter = "retry-after"
    /// ISO 8601 times from old token files.
    case iso8601
    /// The address a browser is redirected to after a sign-in (`AuthorizationRedirect`): a
    /// request target any local process can send to `login`'s listener, or a paste. The path
    /// holds no query; a code is never empty; server text comes out without control characters.
    case redirect

    /// Every target's name, for usage messages.
    package static var names: String { allCases.map(\.rawValue).joined(separator: " ") }

    package func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .json: Self.json(input)
        case .payload: Self.payload(input)
        case .import: _ = try? ImportedTokens.parse(Secret(copying: input), now: Self.now)
        case .tokenResponse: Self.tokenResponse(input)
        case .url: Self.url(String(decoding: input, as: UTF8.self))
        case .keyfile: Self.keyfile(input)
        case .retryAfter:
            if let seconds = RetryAfter.seconds(from: String(decoding: input, as: UTF8.self), now: Self.now) {
                precondition((0...86_400).contains(seconds), "Retry-After gave \(seconds) s")
            }
        case .redirect: Self.redirect(input)
        case .iso8601:
            if let time = ISO8601.parse(String(decoding: input, as: UTF8.self)) {
                // Years 1970 to 9999, shifted by an offset of at most ±99:99.
                precondition((-400_000...253_402_700_799).contains(time), "an ISO 8601 time of \(time)")
            }
        }
    }

    private static let now: UnixTime = 1_750_000_000

    private static func redirect(_ input: UnsafeRawBufferPointer) {
        guard let redirect = AuthorizationRedirect(input) else { return }
        precondition(!redirect.path.contains("?"), "a path with a query")
        precondition(redirect.code.map { !$0.isEmpty } ?? true, "an empty code")
        for text in [redirect.error, redirect.errorDescription].compactMap({ $0 }) {
            precondition(!text.unicodeScalars.contains { $0.properties.generalCategory == .control }, "a control character in server text")
        }
        _ = try? redirect.code(expectedState: "state", issuer: "http://127.0.0.1:1")
    }

    private static func json(_ input: UnsafeRawBufferPointer) {
        let buffer = SecureBuffer(copying: input)
        guard let document = try? JSONDocument(parsing: buffer, length: buffer.count) else { return }
        func inside(_ range: Range<Int>) {
            precondition(range.lowerBound >= 0 && range.upperBound <= input.count, "a range outside the document")
        }
        func visit(_ value: JSONValue) {
            switch value {
            case .null, .bool: break
            case .number(let range):
                inside(range)
                _ = document.integer(value)
            case .string(let range):
                inside(range)
                _ = document.string(range)
                _ = document.integer(value)
            case .array(let elements): elements.forEach(visit)
            case .object(let members):
                for (key, member) in members {
                    inside(key)
                    visit(member)
                }
            }
        }
        visit(document.root)
    }

    private static func payload(_ input: UnsafeRawBufferPointer) {
        // Padded as a sealed vault's payload is, so the fuzzer spends its time on the JSON.
        var writer = SecureWriter(capacity: input.count + VaultPayload.blockSize)
        writer.append(input)
        writer.pad(toMultipleOf: VaultPayload.blockSize)
        func decode(_ payload: Secret) throws(VaultFormatError) -> [String: TokenProfile] {
            try VaultPayload.decode(payload.withUnsafeBytes { SecureBuffer(copying: $0) })
        }
        guard let first = try? decode(writer.finish()) else { return }
        let encoded = VaultPayload.encode(first)
        let second: [String: TokenProfile]
        do {
            second = try decode(encoded)
        } catch {
            preconditionFailure("a decoded payload, encoded again, does not decode: \(error)")
        }
        precondition(Set(first.keys) == Set(second.keys), "the round trip changed the profile names")
        precondition(VaultPayload.encode(second).isEqual(to: encoded), "the round trip changed a profile")
    }

    private static func tokenResponse(_ input: UnsafeRawBufferPointer) {
        var status = 200
        var body = input
        if input.count >= 4, input[3] == UInt8(ascii: "\n"),
           let code = Int(String(decoding: UnsafeRawBufferPointer(rebasing: input[0..<3]), as: UTF8.self)) {
            status = code
            body = UnsafeRawBufferPointer(rebasing: input[4...])
        }
        let sent = ["fuzz-refresh-token", "fuzz-client-secret"].map { Secret(copying: $0) }
        // The Basic credential; its base64 is "ZnV6ei1jbGllbnQ6ZnV6ei1jbGllbnQtc2VjcmV0".
        let basic = Secret(copying: "fuzz-client:fuzz-client-secret")
        let response = TokenResponse(
            HTTPResponse(status: status, body: Secret(copying: body), retryAfter: nil, location: nil, wwwAuthenticate: nil),
            echoes: EchoMask(secrets: sent, basicCredentials: [basic])
        )
        func clean(_ text: String?) {
            guard let text else { return }
            precondition(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) },
                         "server text kept a control character")
            precondition(!["fuzz-refresh-token", "fuzz-client-secret", "ZnV6ei1jbGllbnQ6ZnV6ei1jbGllbnQtc2VjcmV0"].contains { text.contains($0) },
                         "server text kept a secret that was sent")
        }
        switch response {
        case .tokens(let tokens):
            for token in [tokens.accessToken, tokens.refreshToken].compactMap({ $0 }) {
                precondition(token.withUnsafeBytes { TokenSyntax.isToken($0) },
                             "a token that is not visible ASCII was accepted")
            }
            for lifetime in [tokens.expiresIn, tokens.refreshTokenExpiresIn] {
                precondition((0...TokenResponse.longestLifetime).contains(lifetime ?? 0), "a lifetime out of range")
            }
            clean(tokens.tokenType)
            clean(tokens.scope)
            if let access = tokens.accessToken { _ = JWTExpiry.expiry(of: access) }
        case .failure(_, let error, let description):
            clean(error)
            clean(description)
        case .malformed:
            break
        }
    }

    private static func url(_ text: String) {
        guard let url = try? EndpointURL(text) else { return }
        precondition(url.scheme == "https" || url.isLoopback, "plain http accepted off loopback")
        precondition(!url.host.isEmpty, "an empty host accepted")
        let rebuilt: EndpointURL
        do {
            rebuilt = try EndpointURL(url.origin + url.pathAndQuery)
        } catch {
            preconditionFailure("an accepted URL rebuilt from its parts is refused: \(error)")
        }
        precondition(rebuilt.scheme == url.scheme && rebuilt.host == url.host && rebuilt.port == url.port
                     && rebuilt.pathAndQuery == url.pathAndQuery, "an accepted URL rebuilt from its parts reads differently")
    }

    private static func keyfile(_ input: UnsafeRawBufferPointer) {
        guard let ring = try? KeyRing.parse(Secret(copying: input), source: "fuzz input") else { return }
        precondition(!ring.keys.isEmpty, "a key ring without keys")
        for key in ring.keys {
            let again = key.textLine().withUnsafeBytes { line in
                VaultKey.parse(text: UnsafeRawBufferPointer(rebasing: line.prefix { $0 != UInt8(ascii: "\n") }))
            }
            precondition(again?.id == key.id, "a key written back does not read as the same key")
        }
    }
}
