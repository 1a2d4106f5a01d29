/// A padded payload `VaultPayload.encode` wrote, with the profiles it encoded and where each
/// profile's object lies in its bytes, so that the next write copies the objects of the profiles
/// it did not change and encodes only the others.
///
/// The copy is byte for byte what encoding the profile again would write: an object is a function
/// of its profile's values alone, and it is copied only when the profile holds the very same
/// values (`encodesSame`), its secrets the very same guarded bytes, not merely equal ones.
struct EncodedPayload: Sendable {
    /// The padded payload, in guarded memory.
    let bytes: Secret
    /// The profile names in the order written (the byte order of their UTF-8).
    let names: [String]
    /// The profiles encoded, by name.
    let profiles: [String: TokenProfile]
    /// Where the object of `names[i]` lies in `bytes`, by the same index.
    let objects: [Range<Int>]

    /// Where `name` is in `names`: `guess` when it is there (the names did not change), else
    /// found by bisection (they are sorted); `nil` when absent.
    func position(of name: String, near guess: Int) -> Int? {
        if guess < names.count, names[guess] == name { return guess }
        var low = 0, high = names.count
        while low < high {
            let middle = (low + high) / 2
            if names[middle].utf8.lexicographicallyPrecedes(name.utf8) { low = middle + 1 } else { high = middle }
        }
        return low < names.count && names[low] == name ? low : nil
    }

    /// Whether `profile`'s object in the payload would be the bytes of `kept`'s: the same value of
    /// every member `VaultPayload.encode` writes, secrets compared by identity (no content is
    /// read, and a secret a caller replaced counts as changed even when its bytes are equal).
    static func encodesSame(_ profile: TokenProfile, _ kept: TokenProfile) -> Bool {
        func same(_ a: Secret?, _ b: Secret?) -> Bool {
            switch (a, b) {
            case (nil, nil): true
            case (let a?, let b?): a.buffer === b.buffer && a.range == b.range
            default: false
            }
        }
        let binding = profile.binding, keptBinding = kept.binding
        return same(profile.accessToken, kept.accessToken) && same(profile.refreshToken, kept.refreshToken)
            && profile.tokenType == kept.tokenType && profile.scope == kept.scope && profile.expiresAt == kept.expiresAt
            && profile.refreshTokenExpiresAt == kept.refreshTokenExpiresAt
            && profile.refreshTokenLifetime == kept.refreshTokenLifetime
            && profile.refreshTokenIssuedAt == kept.refreshTokenIssuedAt && profile.importedAt == kept.importedAt
            && profile.refreshedAt == kept.refreshedAt
            && binding.tokenEndpoint == keptBinding.tokenEndpoint && binding.clientID == keptBinding.clientID
            && same(binding.clientSecret, keptBinding.clientSecret) && binding.authMethod == keptBinding.authMethod
            && binding.resource == keptBinding.resource && binding.issuer == keptBinding.issuer
            && profile.refreshState == kept.refreshState && profile.spentRefreshTokens == kept.spentRefreshTokens
            && profile.importedRefreshToken == kept.importedRefreshToken
    }
}
