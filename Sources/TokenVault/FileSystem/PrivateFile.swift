import SystemPackage

/// Opening files that must be private to their owner: regular, owned by the current user, no
/// access for group or others, and (where asked) not reached through a symbolic link.
package enum PrivateFile {
    static let privateMode: FilePermissions = [.ownerRead, .ownerWrite]

    /// Checks an open file's `fstat`.
    static func check(_ status: Stat, path: String) throws(FileError) {
        guard status.type == .regular else { throw .insecure(path: path, .notRegularFile) }
        guard status.userID == currentUserID else {
            throw .insecure(path: path, .ownedByOtherUser(status.userID.rawValue))
        }
        guard status.permissions.rawValue & 0o077 == 0 else {
            throw .insecure(path: path, .accessibleByOthers(status.permissions))
        }
    }

    /// Checks a systemd credential that is not the current user's: root's, read-only, with no
    /// access for group or others except what its ACL grants the current user alone, to read.
    /// That is how systemd hands a service user its credentials on a file system with ACLs.
    static func checkGrantedByRoot(_ status: Stat, descriptor: FileDescriptor, path: String) throws(FileError) {
        guard status.type == .regular else { throw .insecure(path: path, .notRegularFile) }
        let foreign = FileError.insecure(path: path, .ownedByOtherUser(status.userID.rawValue))
        guard status.userID.rawValue == 0, status.permissions.rawValue & 0o222 == 0 else { throw foreign }
        guard status.permissions.rawValue & 0o007 == 0 else {
            throw .insecure(path: path, .accessibleByOthers(status.permissions))
        }
        let entries: [AccessControlEntry]?
        do {
            entries = try descriptor.accessControlList()
        } catch {
            throw .io(path: path, operation: "read the ACL of", error)
        }
        guard let entries, entries.contains(where: { $0.tag == .user && $0.id == currentUserID.rawValue }) else { throw foreign }
        for entry in entries {
            switch entry.tag {
            case .owner?, .mask?:
                continue
            case .user? where entry.id == currentUserID.rawValue && entry.permissions & 0o2 == 0:
                continue
            case .owningGroup?, .group?, .others?:
                if entry.permissions == 0 { continue }
                throw .insecure(path: path, .accessibleByOthers(status.permissions))
            default:
                throw .insecure(path: path, .accessibleByOthers(status.permissions))
            }
        }
    }

    /// Opens `path` read-only and checks it. `followSymlinks` is for keyfiles (secret mounts are
    /// symbolic links); vaults are never followed. `grantedByRoot` also accepts a read-only file
    /// of root's that an ACL lets the current user alone read (`checkGrantedByRoot`). No file at
    /// `path` is `.missing`.
    static func openForReading(
        _ path: FilePath, followSymlinks: Bool, grantedByRoot: Bool = false
    ) throws(FileError) -> (FileDescriptor, Stat) {
        // Non-blocking: a FIFO planted at the path must not hang the open before fstat refuses it.
        var options: FileDescriptor.OpenOptions = [.closeOnExec, .nonBlocking]
        if !followSymlinks { options.insert(.noFollow) }
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(path, .readOnly, options: options, retryOnInterrupt: true)
        } catch let error as Errno {
            switch error {
            case .noSuchFileOrDirectory: throw .missing(path: path.string)
            case .tooManySymbolicLinkLevels: throw .insecure(path: path.string, .symlink)
            default: throw .io(path: path.string, operation: "open", error)
            }
        } catch {
            throw .io(path: path.string, operation: "open", .ioError)
        }
        do {
            let status = try descriptor.stat()
            if grantedByRoot && status.userID.rawValue == 0 && status.userID != currentUserID {
                try checkGrantedByRoot(status, descriptor: descriptor, path: path.string)
            } else {
                try check(status, path: path.string)
            }
            return (descriptor, status)
        } catch let error as FileError {
            try? descriptor.close()
            throw error
        } catch {
            try? descriptor.close()
            throw .io(path: path.string, operation: "stat", (error as? Errno) ?? .ioError)
        }
    }

    /// Creates `path` exclusively with mode 0600 (whatever the umask: it can only clear bits) and
    /// never through a symbolic link.
    package static func createExclusively(_ path: FilePath, access: FileDescriptor.AccessMode = .writeOnly) throws(FileError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                path, access, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                permissions: privateMode, retryOnInterrupt: true
            )
        } catch let error as Errno {
            if error == .fileExists { throw .alreadyExists(path: path.string) }
            throw .io(path: path.string, operation: "create", error)
        } catch {
            throw .io(path: path.string, operation: "create", .ioError)
        }
    }

    /// Reads a whole private file into guarded memory (keyfiles, client-secret files).
    static func readSecret(_ path: FilePath, followSymlinks: Bool, grantedByRoot: Bool = false, limit: Int) throws(FileError) -> Secret {
        let (descriptor, _) = try openForReading(path, followSymlinks: followSymlinks, grantedByRoot: grantedByRoot)
        defer { try? descriptor.close() }
        return try readSecret(from: descriptor, path: path.string, limit: limit)
    }

    static func readSecret(from descriptor: FileDescriptor, path: String, limit: Int) throws(FileError) -> Secret {
        let buffer = SecureBuffer(count: limit)
        do {
            let count = try descriptor.readAll(into: buffer.bytes)
            return Secret(buffer: buffer, range: 0..<count)
        } catch {
            if error == .fileTooLarge { throw .tooLarge(path: path, limit: limit) }
            throw .io(path: path, operation: "read", error)
        }
    }
}
