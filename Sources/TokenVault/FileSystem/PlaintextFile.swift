import SystemPackage

/// An old plaintext token file (`.mcp_tokens_*.json`, MCP Inspector's `oauth.json`), held open
/// from the moment it is read until it is overwritten and removed. What is overwritten is the
/// file that was read, through the same descriptor; its name is unlinked only while it still
/// names that very file. A file renamed over the path meanwhile, or a file with other hard links
/// (which would keep the tokens readable, or would lose their contents under a name nobody asked
/// about), is left alone and reported (SECURITY.md, "Plaintext token files").
package struct PlaintextFile: ~Copyable {
    package let path: FilePath
    let descriptor: FileDescriptor
    let opened: Stat

    /// Opens `path` without following a symbolic link or blocking on a FIFO. `forRemoval` opens it
    /// for writing as well, so that a file that could not be overwritten is refused before anything
    /// is imported from it.
    package init(opening path: FilePath, forRemoval: Bool) throws(FileError) {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                path, forRemoval ? .readWrite : .readOnly, options: [.noFollow, .closeOnExec, .nonBlocking], retryOnInterrupt: true
            )
        } catch Errno.tooManySymbolicLinkLevels {
            throw .insecure(path: path.string, .symlink)
        } catch {
            throw .io(path: path.string, operation: "open", error as? Errno ?? .ioError)
        }
        let status: Stat
        do {
            status = try descriptor.stat()
        } catch {
            try? descriptor.close()
            throw .io(path: path.string, operation: "stat", error)
        }
        guard status.type == .regular else {
            try? descriptor.close()
            throw .insecure(path: path.string, .notRegularFile)
        }
        self.path = path
        self.descriptor = descriptor
        self.opened = status
    }

    deinit {
        try? descriptor.close()
    }

    /// The mode the file had when it was opened (to warn when others could read it).
    package var permissions: FilePermissions { opened.permissions }

    /// The whole file, into guarded memory.
    package func read(limit: Int = 256 * 1024) throws(FileError) -> Secret {
        try PrivateFile.readSecret(from: descriptor, path: path.string, limit: limit)
    }

    /// Overwrites the file with zeros through the descriptor it was read from, syncs it and
    /// unlinks its name: only while the path still names this file and the file has no other
    /// hard link. Otherwise throws `.plaintextKept` and changes nothing. Journaling and
    /// copy-on-write file systems and SSDs may keep old blocks: this lowers the exposure, it does
    /// not guarantee erasure.
    package consuming func scrubAndRemove() throws(FileError) {
        try checkStillTheFileRead()
        do {
            let size = Int(try descriptor.stat().size)
            let zeros = [UInt8](repeating: 0, count: min(size, 1 << 20))
            var written = 0
            while written < size {
                let chunk = min(zeros.count, size - written)
                _ = try zeros[0..<chunk].withUnsafeBytes { try descriptor.writeAll(toAbsoluteOffset: Int64(written), $0) }
                written += chunk
            }
            try descriptor.sync()
        } catch {
            throw .io(path: path.string, operation: "overwrite", error as? Errno ?? .ioError)
        }
        // Checked again just before the unlink: the name is removed only while it names the file
        // that was overwritten.
        try checkStillTheFileRead()
        do {
            try path.unlink()
        } catch {
            throw .io(path: path.string, operation: "remove", error)
        }
    }

    private func checkStillTheFileRead() throws(FileError) {
        let now: Stat
        do { now = try descriptor.stat() } catch { throw .io(path: path.string, operation: "stat", error) }
        let atPath = try? path.stat(followTargetSymlink: false)
        guard let atPath, atPath.deviceID == opened.deviceID, atPath.inode == opened.inode, now.linkCount >= 1 else {
            throw .plaintextKept(path: path.string, .replaced)
        }
        guard now.linkCount == 1 else {
            throw .plaintextKept(path: path.string, .otherHardLinks(Int(now.linkCount) - 1))
        }
    }
}
