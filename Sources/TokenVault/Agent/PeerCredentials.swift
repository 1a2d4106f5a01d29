import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Who is at the other end of a Unix socket connection, as the kernel saw it at `connect`
/// (`SO_PEERCRED`): nothing the peer says about itself.
struct PeerCredentials: Sendable, CustomStringConvertible {
    let pid: pid_t
    let uid: uid_t
    let gid: gid_t

    /// The credentials of the peer of the connection `socket`.
    init(of socket: FileDescriptor) throws(Errno) {
        // struct ucred, which Glibc's module hides behind _GNU_SOURCE: pid, uid, gid.
        var credentials: (pid: pid_t, uid: uid_t, gid: gid_t) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(socket.rawValue, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { throw Errno(rawValue: errno) }
        (pid, uid, gid) = credentials
    }

    var description: String { "uid \(uid) gid \(gid) pid \(pid)" }
}
