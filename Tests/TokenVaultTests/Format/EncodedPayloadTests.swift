import Testing
@testable import TokenVault

/// A write copies the objects of the profiles it did not change from the payload it sealed last
/// (`VaultPayload.encode(_:reusing:)`); whatever a caller changes, the payload must stay byte for
/// byte what encoding every profile afresh gives.
@Suite("a payload re-encoding only changed profiles")
struct EncodedPayloadTests {
    /// One change per member a profile has, named the way `Mirror` names the member.
    static let changes: [(member: String, change: @Sendable (inout TokenProfile) -> Void)] = [
        ("accessToken", { $0.accessToken = Secret(copying: "\(secretMarker)-new access") }),
        ("refreshToken", { $0.refreshToken = nil }),
        ("tokenType", { $0.tokenType = "DPoP" }),
        ("scope", { $0.scope = "read" }),
        ("expiresAt", { $0.expiresAt = 1_900_000_000 }),
        ("refreshTokenExpiresAt", { $0.refreshTokenExpiresAt = nil }),
        ("refreshTokenLifetime", { $0.refreshTokenLifetime = 60 }),
        ("refreshTokenIssuedAt", { $0.refreshTokenIssuedAt = 1_700_000_001 }),
        ("importedAt", { $0.importedAt = 1_600_000_000 }),
        ("refreshedAt", { $0.refreshedAt = 1_750_000_001 }),
        ("binding.tokenEndpoint", { $0.binding.tokenEndpoint = "https://other.example.com/token" }),
        ("binding.clientID", { $0.binding.clientID = "another-client" }),
        ("binding.clientSecret", { $0.binding.clientSecret = Secret(copying: "\(secretMarker)-other-cs") }),
        ("binding.authMethod", { $0.binding.authMethod = .clientSecretPost }),
        ("binding.resource", { $0.binding.resource = nil }),
        ("binding.issuer", { $0.binding.issuer = "https://issuer.example.com" }),
        ("refreshState.reauthenticationRequired", { $0.refreshState.reauthenticationRequired = false }),
        ("refreshState.clientRejected", { $0.refreshState.clientRejected = true }),
        ("refreshState.lastError", { $0.refreshState.lastError = "invalid_grant" }),
        ("refreshState.lastErrorAt", { $0.refreshState.lastErrorAt = 1_750_000_002 }),
        ("refreshState.consecutiveFailures", { $0.refreshState.consecutiveFailures = 3 }),
        ("refreshState.retryAfter", { $0.refreshState.retryAfter = 1_750_000_003 }),
        ("refreshState.ambiguousSpendAt", { $0.refreshState.ambiguousSpendAt = 1_750_000_004 }),
        ("refreshState.rolledBackAt", { $0.refreshState.rolledBackAt = 1_750_000_005 }),
        ("spentRefreshTokens", { $0.spentRefreshTokens.insert(TokenDigest(of: Secret(copying: "spent")), at: 0) }),
        ("importedRefreshToken", { $0.importedRefreshToken = TokenDigest(of: Secret(copying: "imported")) }),
    ]

    static func base() -> [String: TokenProfile] {
        ["alpha": sampleProfile("alpha"), "beta": sampleProfile("beta"), "gamma": sampleProfile("gamma")]
    }

    static func fresh(_ profiles: [String: TokenProfile]) -> Secret {
        VaultPayload.encode(profiles, reusing: nil).bytes
    }

    @Test("the table changes every member a profile has, so a member added later without a check fails here")
    func tableCoversEveryMember() {
        let profile = sampleProfile("alpha")
        func labels(_ value: Any, prefix: String) -> [String] {
            Mirror(reflecting: value).children.compactMap { $0.label.map { prefix + $0 } }
        }
        let members = labels(profile, prefix: "").filter { $0 != "binding" && $0 != "refreshState" }
            + labels(profile.binding, prefix: "binding.") + labels(profile.refreshState, prefix: "refreshState.")
        #expect(Set(members) == Set(Self.changes.map(\.member)))
    }

    @Test("changing one member of one profile re-encodes it into the bytes a fresh encoding gives", arguments: changes.indices)
    func oneMemberChanged(_ index: Int) {
        let (member, change) = Self.changes[index]
        var profiles = Self.base()
        let previous = VaultPayload.encode(profiles, reusing: nil)
        change(&profiles["beta"]!)
        let reused = VaultPayload.encode(profiles, reusing: previous)
        #expect(reused.bytes.isEqual(to: Self.fresh(profiles)), "after a change of \(member)")
        #expect(!reused.bytes.isEqual(to: previous.bytes), "a change of \(member) left the payload as it was")
    }

    @Test("added, removed and renamed profiles, and no change at all, give the bytes of a fresh encoding")
    func namesChanged() {
        let previous = VaultPayload.encode(Self.base(), reusing: nil)
        var added = Self.base()
        added["aardvark"] = sampleProfile("aardvark")
        added["zulu"] = sampleProfile("zulu")
        var removed = Self.base()
        removed["beta"] = nil
        var renamed = Self.base()
        renamed["delta"] = renamed.removeValue(forKey: "beta")
        for profiles in [Self.base(), added, removed, renamed, [:]] {
            #expect(VaultPayload.encode(profiles, reusing: previous).bytes.isEqual(to: Self.fresh(profiles)))
        }
        let unchanged = Self.base()
        let first = VaultPayload.encode(unchanged, reusing: nil)
        #expect(VaultPayload.encode(unchanged, reusing: first).bytes.isEqual(to: first.bytes))
    }

    @Test("a profile holding equal values in new secrets is encoded again, and the bytes do not change")
    func equalSecretsReencoded() {
        let profile = sampleProfile("alpha")
        var copy = profile
        copy.accessToken = profile.accessToken!.withUnsafeBytes { Secret(copying: $0) }
        #expect(EncodedPayload.encodesSame(profile, profile))
        #expect(!EncodedPayload.encodesSame(copy, profile))
        let previous = VaultPayload.encode(["alpha": profile], reusing: nil)
        #expect(VaultPayload.encode(["alpha": copy], reusing: previous).bytes.isEqual(to: previous.bytes))
    }
}
