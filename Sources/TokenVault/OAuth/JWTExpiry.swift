/// The `exp` claim of a JWT access token, for servers that send no `expires_in`. The token is
/// not verified: the claim only decides when to refresh, never whether to trust.
enum JWTExpiry {
    static func expiry(of token: Secret) -> UnixTime? {
        token.withUnsafeBytes { bytes -> UnixTime? in
            let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
            guard dots.count == 2 else { return nil }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(dots[0] + 1)..<dots[1]])
            guard let json = Sodium.decodeBase64(payload, variant: .urlSafeNoPadding) else { return nil }
            guard let document = try? JSONDocument(copying: json), let claims = JSONObject(root: document),
                  let value = claims["exp"], case .number = value, let exp = document.integer(value),
                  // Years 1970 to 9999: anything else is a broken claim, not an expiry.
                  (0...253_402_300_799).contains(exp)
            else { return nil }
            return exp
        }
    }
}
