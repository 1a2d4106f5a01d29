/// Which version of a vault's sealed bytes a store holds: two equal versions are the same bytes.
/// Opaque to everything above the backends; each backend makes its own from what tells its
/// versions apart (the file backend: the file's identity on disk; the PostgreSQL backend: the
/// row's generation, which every write raises by a compare-and-swap).
public struct VaultVersion: Sendable, Equatable {
    enum Origin: Sendable, Equatable {
        /// A version of the vault file.
        case file(FileIdentity)
        /// A version of a vault's row in PostgreSQL: its generation.
        case row(generation: UInt64)
    }

    let origin: Origin

    init(_ origin: Origin) {
        self.origin = origin
    }
}
