/// The refresh request (RFC 6749 §6, RFC 8707): `grant_type=refresh_token`, the refresh token,
/// the client's credentials as its registration says, and the MCP server's `resource`. No
/// `scope`: asking for one narrows the grant for good on some servers.
struct TokenRequest {
    let form: Secret
    let authorization: Secret?
    /// What this request sends, in every form a server could echo it back.
    let echoes: EchoMask

    init(refreshToken: Secret, binding: RefreshBinding) {
        var grant = SecureWriter(capacity: 512 + refreshToken.count)
        grant.append("grant_type=refresh_token&refresh_token=")
        refreshToken.withUnsafeBytes { grant.appendFormEncoded($0) }
        self.init(grant: grant, sending: [refreshToken], binding: binding)
    }

    /// The request for any grant: `grant` (its form parameters, already encoded), then the
    /// client's credentials and `resource`. `secrets` are what the grant sends, for `echoes`.
    init(grant: consuming SecureWriter, sending secrets: [Secret], binding: RefreshBinding) {
        var form = grant
        switch binding.authMethod {
        case .none:
            form.append("&client_id=")
            form.appendFormEncoded(public: binding.clientID)
        case .clientSecretPost:
            form.append("&client_id=")
            form.appendFormEncoded(public: binding.clientID)
            form.append("&client_secret=")
            binding.clientSecret?.withUnsafeBytes { form.appendFormEncoded($0) }
        case .clientSecretBasic:
            break
        }
        if let resource = binding.resource {
            form.append("&resource=")
            form.appendFormEncoded(public: resource)
        }
        self.form = form.finish()

        var basicCredentials: [Secret] = []
        if binding.authMethod == .clientSecretBasic, let secret = binding.clientSecret {
            // RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
            var credentials = SecureWriter(capacity: 256 + secret.count * 3)
            credentials.appendFormEncoded(public: binding.clientID)
            credentials.append(UInt8(ascii: ":"))
            secret.withUnsafeBytes { credentials.appendFormEncoded($0) }
            var header = SecureWriter(capacity: 64 + credentials.count * 2)
            header.append("Authorization: Basic ")
            Sodium.appendBase64(credentials.written, to: &header)
            authorization = header.finish()
            // Most HTTP stacks build the credential from the raw id and secret: a server's echo
            // of it is masked too.
            var raw = SecureWriter(capacity: 256 + secret.count)
            raw.append(public: binding.clientID)
            raw.append(UInt8(ascii: ":"))
            raw.append(secret)
            basicCredentials = [credentials.finish(), raw.finish()]
        } else {
            authorization = nil
        }
        let sent = secrets + (binding.clientSecret.map { [$0] } ?? [])
        echoes = EchoMask(secrets: sent, basicCredentials: basicCredentials)
    }
}

extension SecureWriter {
    /// `application/x-www-form-urlencoded`: unreserved characters as they are, everything else
    /// percent-encoded (space too, as `%20`, which every server decodes), with upper-case hex
    /// unless `lowercaseHex` (for matching echoes, not for sending).
    mutating func appendFormEncoded(_ bytes: UnsafeRawBufferPointer, lowercaseHex: Bool = false) {
        let hex = Array((lowercaseHex ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
        reserve(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                append(byte)
            default:
                append(UInt8(ascii: "%"))
                append(hex[Int(byte >> 4)])
                append(hex[Int(byte & 0x0f)])
            }
        }
    }

    mutating func appendFormEncoded(public text: String) {
        var text = text
        text.withUTF8 { appendFormEncoded(UnsafeRawBufferPointer($0)) }
    }
}
