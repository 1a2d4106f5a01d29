/// The keys a process holds, in order: the first seals, every one opens. A keyfile with the new
/// key first and the old key second is how a fleet rotates without downtime (SECURITY.md, "Key
/// rotation").
public struct KeyRing: Sendable {
    /// Every key, the sealing key first; never empty.
    public let keys: [VaultKey]

    /// A ring of `keys`, the first of which seals. `keys` must not be empty.
    public init(keys: [VaultKey]) {
        precondition(!keys.isEmpty, "a key ring needs at least one key")
        self.keys = keys
    }

    /// The key new vault files are sealed with: the first.
    public var sealingKey: VaultKey { keys[0] }

    /// The ids of every key, in order.
    public var ids: [KeyID] { keys.map(\.id) }

    /// The first key with `id`, or `nil` when the ring has none.
    func key(withID id: KeyID) -> VaultKey? {
        keys.first { $0.id == id }
    }
}
