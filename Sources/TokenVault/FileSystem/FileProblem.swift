import SystemPackage

/// What is wrong with a file that must be private to its owner.
public enum FileProblem: Sendable, Equatable {
    /// The path is a symbolic link.
    case symlink
    /// The path is not a regular file (a folder, a FIFO, a device).
    case notRegularFile
    /// Group or others have some access; the mode found.
    case accessibleByOthers(FilePermissions)
    /// Owned by another user; the owner's uid.
    case ownedByOtherUser(UInt32)
    /// A folder that group or others can write to; the mode found.
    case folderWritableByOthers(FilePermissions)
}
