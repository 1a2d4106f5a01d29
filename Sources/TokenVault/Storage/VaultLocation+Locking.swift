import SystemPackage

extension VaultLocation {
    /// Takes one of this vault's lock files (`lockPath`, `refreshLockPath(for:)`), waiting up to
    /// `timeout` seconds; held until the returned lock is released. No folder is `vaultMissing`;
    /// a holder that outlasts `timeout` is `busy`, naming the vault.
    func lock(_ lockFile: FilePath, timeout: Double) throws(VaultError) -> FileLock {
        do {
            return try FileLock(lockFile, folder: directory, timeout: timeout)
        } catch {
            throw VaultError(error, vault: path.string)
        }
    }

    /// Runs `body` while holding the lock file `lockFile`; released when `body` returns or throws.
    func holding<Result>(_ lockFile: FilePath, timeout: Double, _ body: () throws -> Result) throws -> Result {
        let lock = try lock(lockFile, timeout: timeout)
        return try withExtendedLifetime(lock) { try body() }
    }
}
