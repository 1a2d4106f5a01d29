/// A proof key for one authorization code (RFC 7636): the verifier is 32 bytes from libsodium's
/// CSPRNG, base64url without padding (43 characters, §4.1), held in guarded memory and sent only
/// to the token endpoint; the challenge is base64url(SHA-256(verifier)) (`S256`, §4.2), which
/// travels in the authorization URL.
struct PKCE {
    /// The code verifier, never in a `String`.
    let verifier: Secret
    /// The S256 code challenge.
    let challenge: String

    /// A fresh verifier and its challenge.
    init() {
        let random = SecureBuffer(count: 32)
        Sodium.fillRandom(random.bytes)
        verifier = Sodium.encodeBase64(UnsafeRawBufferPointer(random.bytes), variant: .urlSafeNoPadding)
        let digest = SecureBuffer(count: Sodium.sha256ByteCount)
        verifier.withUnsafeBytes { Sodium.sha256(into: digest.bytes, message: $0) }
        challenge = Sodium.encodeBase64(UnsafeRawBufferPointer(digest.bytes), variant: .urlSafeNoPadding).unsafeStringValue()
    }

    /// A fresh `state` for one authorization request (RFC 6749 §10.12): 16 random bytes,
    /// base64url. It binds the redirect to this request; it is not a secret once sent.
    static func freshState() -> String {
        let random = Sodium.randomBytes(count: 16)
        return random.withUnsafeBytes { Sodium.encodeBase64($0, variant: .urlSafeNoPadding).unsafeStringValue() }
    }
}
