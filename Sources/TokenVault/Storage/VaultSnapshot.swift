import Logging
import SystemPackage

/// One opened version of the vault.
public struct VaultSnapshot: Sendable {
    public let profiles: [String: TokenProfile]
    public let generation: UInt64
    /// The key that sealed it; when it is not the key ring's first key, the vault is re-sealed
    /// under the first key at its next write.
    public let sealedWith: KeyID
    public let sealedWithCurrentKey: Bool
    public let identity: FileIdentity
}
