import SystemPackage

/// What is at a path, judged by its first bytes, for the command's hints ("that file is a vault,
/// not a key", "this vault was sealed with key id …", "did you mean …"). It only looks: nothing
/// it finds is opened as a vault or a key, so it skips the checks reading does.
package enum VaultProbe {
    /// What a path holds.
    package enum Finding: Equatable, Sendable {
        /// Nothing, or nothing this user can read.
        case nothing
        /// A vault (the magic and the version byte), and the key id in its clear-text header
        /// when the file is long enough to have one.
        case vault(sealedWith: KeyID?)
        /// Something else.
        case otherFile
    }

    /// What `path` holds; a symbolic link is followed, a FIFO is never waited on.
    package static func look(at path: FilePath) -> Finding {
        guard let descriptor = try? FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .nonBlocking]) else {
            return .nothing
        }
        defer { try? descriptor.close() }
        guard let status = try? descriptor.stat(), status.type == .regular else { return .otherFile }
        let keyIDEnd = VaultHeader.magic.count + 2 + KeyID.byteCount
        var start = [UInt8](repeating: 0, count: keyIDEnd)
        let count = (try? start.withUnsafeMutableBytes { try descriptor.read(into: $0) }) ?? 0
        guard count > VaultHeader.magic.count, start.prefix(VaultHeader.magic.count).elementsEqual(VaultHeader.magic),
            start[VaultHeader.magic.count] == VaultHeader.version
        else { return .otherFile }
        return .vault(sealedWith: count == keyIDEnd ? KeyID(bytes: Array(start[(keyIDEnd - KeyID.byteCount)...])) : nil)
    }

    /// The paths of the vaults in `folder` (at most the first 256 entries are looked at),
    /// sorted by name.
    package static func vaults(in folder: FilePath) -> [FilePath] {
        entries(of: folder).filter {
            if case .vault = look(at: $0) { return true }
            return false
        }
    }

    /// The paths of the first 256 entries of `folder`, sorted by name; none when it cannot be read.
    package static func entries(of folder: FilePath) -> [FilePath] {
        guard let names = try? folder.directoryEntries() else { return [] }
        return names.sorted().prefix(256).map { folder.appending($0) }
    }
}
