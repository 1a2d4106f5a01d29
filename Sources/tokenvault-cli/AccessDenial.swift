import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// After "permission denied" on a path: the file or folder that keeps this user out, found the way
/// the kernel walks the path (each folder from the root down must be searchable; a file is created,
/// replaced or removed through its folder), and whose it is.
struct AccessDenial {
    /// The file or folder that denies access.
    let path: String
    let isFolder: Bool
    /// Its owner's uid.
    let owner: UInt32

    var isOwnedByCurrentUser: Bool { owner == geteuid() }

    /// Why `path` was refused, or `nil` when every step is open to this user (the refusal had
    /// another cause: a mount option, a security module, an ACL that changed since).
    static func find(for path: String) -> AccessDenial? {
        var target = FilePath(path)
        if target.isRelative, let cwd = currentDirectory() { target = cwd.pushing(target) }
        var folder = FilePath("/")
        for component in target.removingLastComponent().components {
            if !allows(folder, X_OK) { return denial(folder, isFolder: true) }
            folder.append(component)
        }
        if !allows(folder, X_OK) { return denial(folder, isFolder: true) }
        var status = stat()
        if lstat(target.string, &status) == 0 {
            if (status.st_mode & S_IFMT) == S_IFDIR {
                if !allows(target, R_OK | W_OK | X_OK) { return denial(target, isFolder: true) }
            } else if !allows(target, R_OK | W_OK) {
                return denial(target, isFolder: false)
            }
        }
        // Creating, replacing or removing a file writes its folder.
        if !allows(folder, W_OK | X_OK) { return denial(folder, isFolder: true) }
        return nil
    }

    private static func allows(_ path: FilePath, _ mode: Int32) -> Bool {
        faccessat(AT_FDCWD, path.string, mode, AT_EACCESS) == 0
    }

    private static func denial(_ path: FilePath, isFolder: Bool) -> AccessDenial? {
        var status = stat()
        guard stat(path.string, &status) == 0 else { return nil }
        return AccessDenial(path: path.string, isFolder: isFolder, owner: status.st_uid)
    }

    private static func currentDirectory() -> FilePath? {
        guard let buffer = getcwd(nil, 0) else { return nil }
        defer { free(buffer) }
        return FilePath(String(cString: buffer))
    }
}
