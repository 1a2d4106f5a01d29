import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a private lock file (beside the vault: the writer lock
/// `tokens.vault.lock`, or a profile's refresh lock `tokens.vault.refresh.NAME.lock`). Held
/// from a successful `init` until the lock is released: the descriptor is closed in `deinit`,
/// and by the kernel when the process dies.
final class FileLock {
    /// The lock file, open read-write: a refresh lock keeps a record in it (`RefreshFileLock`).
    let descriptor: FileDescriptor

    /// Takes the lock at `path`, in `folder`, waiting up to `timeout` seconds. Polls with short
    /// sleeps so that an async caller's thread is never parked on the kernel for long. No
    /// `folder` is `.missing(path)`; a holder that outlasts `timeout` is `.busy`.
    init(_ path: FilePath, folder: FilePath, timeout: Double) throws(FileError) {
        try Self.checkFolder(folder)
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                path, .readWrite, options: [.create, .noFollow, .closeOnExec],
                permissions: PrivateFile.privateMode, retryOnInterrupt: true
            )
        } catch let error as Errno {
            if error == .tooManySymbolicLinkLevels { throw .insecure(path: path.string, .symlink) }
            if error == .noSuchFileOrDirectory { throw .missing(path: path.string) }
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
                    throw FileError.busy(path: path.string, waitedSeconds: Int(timeout))
                }
                MonotonicClock.sleep(seconds: pause * (0.5 + Double(Sodium.randomUInt32(below: 1000)) / 1000))
                pause = min(pause * 2, 0.02)
            }
        } catch {
            try? descriptor.close()
            if let error = error as? FileError { throw error }
            throw .io(path: path.string, operation: "lock", (error as? Errno) ?? .ioError)
        }
        self.descriptor = descriptor
    }

    /// Lock files only live in a folder the current user owns (or root's) and others cannot
    /// write: anyone who can write there can replace the files beside them or plant the locks.
    static func checkFolder(_ folder: FilePath) throws(FileError) {
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
