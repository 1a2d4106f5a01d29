import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The agent's listening socket: one it binds at a path, or one systemd passed (socket
/// activation). It closes the socket, and removes the path it bound, when it goes away.
public final class AgentListener: Sendable {
    let descriptor: FileDescriptor
    /// The path this process bound (and removes), `nil` for a socket systemd owns.
    public let boundPath: String?

    /// The socket systemd passed as fd 3 when `LISTEN_PID` is this process and `LISTEN_FDS` is at
    /// least 1 (sd_listen_fds(3)); `nil` otherwise. The variables are removed either way.
    public static func activated() -> AgentListener? {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pid = getenv("LISTEN_PID").flatMap({ pid_t(String(cString: $0)) }), pid == getpid(),
              let count = getenv("LISTEN_FDS").flatMap({ Int(String(cString: $0)) }), count >= 1 else { return nil }
        _ = fcntl(3, F_SETFD, FD_CLOEXEC)
        return AgentListener(descriptor: FileDescriptor(rawValue: 3), boundPath: nil)
    }

    private init(descriptor: FileDescriptor, boundPath: String?) {
        self.descriptor = descriptor
        self.boundPath = boundPath
    }

    /// Binds `path`. Its folder must be this user's and writable by no one else; the socket
    /// gets the folder's reach (folder 0700: socket 0600; group may enter: 0660, the folder's
    /// group; others may enter: 0666), so that who may enter the folder may connect and
    /// `--allow` decides the rest. A socket left at `path` by a stopped agent is replaced; a
    /// live one, or any other file, is not.
    public init(binding path: String) throws(AgentError) {
        guard let address = UnixSocketAddress(path) else {
            throw .cannotListen(path: path, cause: "the path is empty or longer than 107 bytes")
        }
        let folder = FilePath(path).removingLastComponent().string.isEmpty ? "." : FilePath(path).removingLastComponent().string
        var folderStatus = stat()
        guard stat(folder, &folderStatus) == 0 else { throw .cannotListen(path: path, cause: AgentError.errnoText(errno)) }
        guard folderStatus.st_uid == geteuid() else { throw .unsafeSocketFolder(path: folder, reason: "belongs to uid \(folderStatus.st_uid), not to this user") }
        guard folderStatus.st_mode & 0o022 == 0 else {
            throw .unsafeSocketFolder(path: folder, reason: "is writable by group or others (chmod 0750 or 0700)")
        }
        var existing = stat()
        if lstat(path, &existing) == 0 {
            guard existing.st_mode & S_IFMT == S_IFSOCK else { throw .cannotListen(path: path, cause: "a file that is not a socket is in the way") }
            if (try? AgentClient.connect(to: path, timeout: 1)).map({ try? $0.close() }) != nil {
                throw .cannotListen(path: path, cause: "another agent is listening on it")
            }
            unlink(path)
        }
        let socket: FileDescriptor
        do { socket = try UnixSocketAddress.streamSocket() } catch { throw .cannotListen(path: path, cause: "\(error)") }
        let bound = address.withSocketAddress { bind(socket.rawValue, $0, $1) }
        guard bound == 0, listen(socket.rawValue, SOMAXCONN) == 0 else {
            let cause = AgentError.errnoText(errno)
            try? socket.close()
            throw .cannotListen(path: path, cause: cause)
        }
        var mode: mode_t = 0o600
        if folderStatus.st_mode & 0o010 != 0 { mode |= 0o060 }
        if folderStatus.st_mode & 0o001 != 0 { mode |= 0o006 }
        guard chown(path, uid_t.max, folderStatus.st_gid) == 0 || folderStatus.st_gid == getegid(), chmod(path, mode) == 0 else {
            let cause = AgentError.errnoText(errno)
            unlink(path)
            try? socket.close()
            throw .cannotListen(path: path, cause: cause)
        }
        self.descriptor = socket
        self.boundPath = path
    }

    /// Removes the bound path (before an exit that skips `deinit`).
    public func removePath() {
        if let boundPath { unlink(boundPath) }
    }

    deinit {
        removePath()
        try? descriptor.close()
    }

    /// The next connection; retries on interruptions and on a peer gone before it was accepted.
    func accept() throws(Errno) -> FileDescriptor {
        while true {
            let connection = Glibc.accept(descriptor.rawValue, nil, nil)
            if connection >= 0 {
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                return FileDescriptor(rawValue: connection)
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                usleep(10_000)
                continue
            default: throw Errno(rawValue: errno)
            }
        }
    }
}
