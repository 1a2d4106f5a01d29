import ArgumentParser
import TokenVault

/// Whether the vault read is older than what this host last wrote (a restored copy).
struct VaultHistory {
    let generation: UInt64
    /// From the writer lock file; `nil` when unknown.
    let highestWritten: UInt64?

    var isRestored: Bool { highestWritten.map { generation < $0 } ?? false }
}
