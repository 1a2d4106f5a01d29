import SystemPackage

/// An old plaintext token file (`.mcp_tokens_*.json`, MCP Inspector's `oauth.json`), held open
/// from the moment it is read until it is overwritten and removed. What is overwritten is the
/// file that was read, through the same descriptor; its name is unlinked only while it still
/// names that very file. A file renamed over the path meanwhile, or a file with other hard links
/// (which would keep the tokens readable, or would lose their contents under a name nobody asked
/// about), is left alone and reported (SECURITY.md, "Plaintext token files"). So is a file
/// rewritten in place since it was read (an old app that refreshed and saved its new tokens):
/// it may hold the only copy of a token newer than the ones read.
package struct PlaintextFile: ~Copyable {
    package let path: FilePath
    let descriptor: FileDescriptor
    let opened: Stat
    /// What the file held when `read` read it; until then, its state when it was opened.
    private var seen: Version

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
        self.seen = Version(status, digest: nil)
    }

    deinit {
        try? descriptor.close()
    }

    /// The mode the file had when it was opened (to warn when others could read it).
    package var permissions: FilePermissions { opened.permissions }

    /// When the file was last modified, as it was when opened (whole seconds).
    package var modificationTime: UnixTime { UnixTime(opened.st_mtim.tv_sec) }

    /// The whole file, into guarded memory. Remembers what was read (its size and modification
    /// time from before the read, and a digest of the bytes) for `checkUnchanged`.
    package mutating func read(limit: Int = 256 * 1024) throws(FileError) -> Secret {
        let before = try status()
        let contents = try readFromStart(limit: limit)
        seen = Version(before, digest: Self.digest(contents))
        return contents
    }

    /// Throws `.plaintextKept(.changed)` unless the file still holds what `read` read: the same
    /// size and modification time, and the same bytes (read again through the same descriptor,
    /// compared by digest). A file that changed may hold tokens newer than the ones read. The
    /// change time is not compared: a new or removed link changes it, not the contents, and
    /// links have their own rule (`checkStillTheFileRead`).
    package func checkUnchanged() throws(FileError) {
        let now = try status()
        guard Version(now, digest: nil).sameState(as: seen) else { throw .plaintextKept(path: path.string, .changed) }
        guard let digest = seen.digest else { return }
        let contents: Secret
        do {
            contents = try readFromStart(limit: Int(clamping: seen.size) + 1)
        } catch {
            throw .plaintextKept(path: path.string, .changed)
        }
        guard Self.digest(contents) == digest else { throw .plaintextKept(path: path.string, .changed) }
    }

    /// Overwrites the file with zeros through the descriptor it was read from, syncs it and
    /// unlinks its name: only while the path still names this file and the file has no other
    /// hard link. Otherwise throws `.plaintextKept` and changes nothing. Journaling and
    /// copy-on-write file systems and SSDs may keep old blocks: this lowers the exposure, it does
    /// not guarantee erasure.
    package consuming func scrubAndRemove() throws(FileError) {
        try checkStillTheFileRead()
        try checkUnchanged()
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

    private func status() throws(FileError) -> Stat {
        do { return try descriptor.stat() } catch { throw .io(path: path.string, operation: "stat", error) }
    }

    private func readFromStart(limit: Int) throws(FileError) -> Secret {
        do {
            _ = try descriptor.seek(offset: 0, from: .start)
        } catch {
            throw .io(path: path.string, operation: "read", error as? Errno ?? .ioError)
        }
        return try PrivateFile.readSecret(from: descriptor, path: path.string, limit: limit)
    }

    private static func digest(_ contents: Secret) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        contents.withUnsafeBytes { message in
            digest.withUnsafeMutableBytes { Sodium.blake2b(into: $0, message: message, key: nil) }
        }
        return digest
    }

    /// A file's contents as far as `fstat` and a digest tell them apart.
    private struct Version {
        let size: Int64
        let modified: (seconds: Int, nanoseconds: Int)
        /// BLAKE2b-256 of the bytes read; `nil` before anything was read.
        let digest: [UInt8]?

        init(_ status: Stat, digest: [UInt8]?) {
            size = status.size
            modified = (Int(status.st_mtim.tv_sec), Int(status.st_mtim.tv_nsec))
            self.digest = digest
        }

        func sameState(as other: Version) -> Bool {
            size == other.size && modified == other.modified
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
