import SystemPackage

/// What repairs an audit finding, as data. The command words it and names its own commands
/// (`tokenvault keygen`, `tokenvault init`, …); the library names none.
package enum AuditFix: Sendable, Equatable {
    /// TOKENVAULT_KEY in the environment: keep the key in a keyfile instead.
    case keyfileInsteadOfEnvironment
    /// `chmod MODE PATH`.
    case setMode(FilePermissions, FilePath)
    /// The vault's folder is not the vault's alone (sticky, someone else's, HOME, shared): move
    /// the vault into a folder of its own.
    case moveVaultIntoOwnFolder(vault: FilePath, fileName: String)
    /// A keyfile another user owns: that user may know the key.
    case replaceForeignKey(uid: UInt32)
    /// A vault or lock file another user owns: only that user or root can change it.
    case runAsOwner(uid: UInt32)
    /// There is no vault.
    case createVault
    /// The vault or a lock file is a symbolic link.
    case replaceLinkWithFile
    /// The vault or a lock file is not a regular file.
    case replaceWithVault
    /// The keyfile named by the environment or a flag does not exist.
    case pointAtKeyfile
    /// The keyfile sits in the vault's folder.
    case moveKeyfileAway
    /// An old plaintext token file the vault does not hold (or cannot be checked): import it
    /// first, then remove it.
    case importPlaintext(FilePath)
    /// An old plaintext token file whose chain the vault already holds: remove it.
    case removeImportedPlaintext(FilePath)
    /// No usable key at hand: give the vault's key, so that it can be checked.
    case giveKey
    /// The key at hand does not open the vault; it was sealed with the key of this id.
    case useSealingKey(KeyID)
    /// The vault does not open with its own key: damaged, truncated or tampered with.
    case restoreVault
    /// An MCP client's plaintext token store: import each chain from it (`servers`, empty when
    /// the store does not name them), then make the client stop using it.
    case importFromClient(MCPClient, servers: [String])
    /// A temp file a killed writer left.
    case removeStrayFile(FilePath)
    /// Tracked by git.
    case untrackInGit(FilePath)
    /// In a git work tree and not ignored.
    case ignoreInGit
    /// A PostgreSQL vault reached over a network without verifying the server (an `sslmode`
    /// weaker than `verify-full`).
    case verifyDatabaseServer
    /// A password in a PostgreSQL vault's address: keep it in a password file instead.
    case passwordFileInsteadOfAddress
    /// PGPASSWORD in the environment: keep the password in a password file instead.
    case passwordFileInsteadOfEnvironment
    /// libpq cannot parse the address, or is not installed.
    case fixDatabaseAddress
}
