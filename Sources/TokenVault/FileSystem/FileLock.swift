import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a private lock file beside the vault: the writer lock
/// (`tokens.vault.lock`) or a profile's refresh lock (`tokens.vault.refresh.NAME.lock`). Held
/// while `holding`'s body runs; released (and the descriptor closed) when it returns or throws,
/// and by the kernel when the process dies.
final class FileLock {
    /// Runs `body` while holding the lock at `path`.
    static func holding<Result>(
        _ path: FilePath, location: VaultLocation, timeout: Double, _ body: () throws -> Result
    ) throws -> Result {
        let lock = try FileLock(path, location: location, timeout: timeout)
        return try withExtendedLifetime(lock) { try body() }
    }

    private let descriptor: FileDescriptor

    /// Waits up to `timeout` seconds, polling with short sleeps so that an async caller's thread
    /// is never parked on the kernel for long.
    private init(_ path: FilePath, location: VaultLocation, timeout: Double) throws(VaultError) {
        try Self.checkFolder(location.directory)
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                path, .readWrite, options: [.create, .noFollow, .closeOnExec],
                permissions: PrivateFile.privateMode, retryOnInterrupt: true
            )
        } catch let error as Errno {
            if error == .tooManySymbolicLinkLevels { throw .insecure(path: path.string, .symlink) }
            // No folder means no vault; `create` makes the folder before it locks.
            if error == .noSuchFileOrDirectory { throw .vaultMissing(path: location.path.string) }
            throw .io(path: path.string, operation: "open lock file", error)
        } catch {
            throw .io(path: path.string, operation: "open lock file", .ioError)
        }
        do {
            try PrivateFile.check(try descriptor.stat(), path: path.string)
            let deadline = MonotonicClock.now + timeout
            var pause = 0.0005
            while try !descriptor.tryLockExclusive() {
                guard MonotonicClock.now < deadline else {
                    throw VaultError.busy(path: location.path.string, waitedSeconds: Int(timeout))
                }
                MonotonicClock.sleep(seconds: pause * (0.5 + Double(Sodium.randomUInt32(below: 1000)) / 1000))
                pause = min(pause * 2, 0.02)
            }
        } catch {
            try? descriptor.close()
            if let error = error as? VaultError { throw error }
            throw .io(path: path.string, operation: "lock", (error as? Errno) ?? .ioError)
        }
        self.descriptor = descriptor
    }

    /// Writers only work in a folder the current user owns (or root's) and others cannot
    /// write: anyone who can write there can replace the vault or plant the lock files.
    static func checkFolder(_ folder: FilePath) throws(VaultError) {
        guard let status = try? folder.stat() else { return }  // missing: the open reports it
        guard status.userID == currentUserID || status.userID.rawValue == 0 else {
            throw .insecure(path: folder.string, .ownedByOtherUser(status.userID.rawValue))
        }
        guard status.permissions.rawValue & 0o022 == 0 else {
            throw .insecure(path: folder.string, .folderWritableByOthers(status.permissions))
        }
    }

    deinit {
        descriptor.unlock()
        try? descriptor.close()
    }
}
