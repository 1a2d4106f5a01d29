import Logging
import SystemPackage

/// What identifies one version of the vault file on disk (the file backend's `VaultVersion`). Every write renames a new file into
/// place, so any write changes the inode and the change time (an inode number reused at once
/// still comes with a new change time).
struct FileIdentity: Sendable, Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let changeSeconds: Int
    let changeNanoseconds: Int

    init(_ status: Stat) {
        device = UInt64(status.deviceID.rawValue)
        inode = UInt64(status.inode.rawValue)
        size = status.size
        changeSeconds = status.st_ctim.tv_sec
        changeNanoseconds = status.st_ctim.tv_nsec
    }
}
