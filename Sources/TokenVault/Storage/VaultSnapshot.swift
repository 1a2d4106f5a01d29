import Logging
import SystemPackage

/// One opened version of the vault.
public struct VaultSnapshot: Sendable {
    /// Every profile, by name.
    public let profiles: [String: TokenProfile]
    /// The vault's generation: each write seals the next one, and it never goes back or wraps.
    public let generation: UInt64
    /// The key that sealed it; when it is not the key ring's first key, the vault is re-sealed
    /// under the first key at its next write.
    public let sealedWith: KeyID
    /// Whether `sealedWith` is the key ring's first key.
    public let sealedWithCurrentKey: Bool
    /// The version of the vault this snapshot was read from.
    public let version: VaultVersion
    /// The payload this store sealed into that version, when it wrote it: the next write copies
    /// from it the objects of the profiles it leaves alone. `nil` for a version read from the file.
    let encoded: EncodedPayload?
}
