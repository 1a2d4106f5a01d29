import Logging
import SystemPackage

/// Keeps a vault's sealed bytes in one file, with the writer lock, the refresh locks and the
/// rollback record in sibling files (`VaultLocation`).
///
/// Readers take no lock: every write is a complete new file renamed over the old one, so a reader
/// sees the old vault or the new, never a mix. Writers serialize on the sibling lock file and write
/// atomically and durably: a temp file in the same folder (`O_CREAT|O_EXCL|O_NOFOLLOW`, 0600),
/// write, fsync, rename over the vault, fsync the folder.
struct FileVaultBackend: SealedVaultBackend {
    let location: VaultLocation
    let logger: Logger

    var description: String { location.path.string }
    private var pathString: String { location.path.string }

    // MARK: Reading

    func readSealed() throws(VaultError) -> SealedVersion? {
        let (descriptor, status): (FileDescriptor, Stat)
        do {
            (descriptor, status) = try PrivateFile.openForReading(location.path, followSymlinks: false)
        } catch .missing {
            return nil
        } catch {
            throw VaultError(error, vault: pathString)
        }
        defer { try? descriptor.close() }
        let size = Int(status.size)
        try checkFrame(descriptor, size: size)
        return SealedVersion(bytes: try readCiphertext(descriptor, expectedSize: size), version: VaultVersion(.file(FileIdentity(status))))
    }

    /// Checks 1 to 7 of SECURITY.md's reading order from the first 12 bytes and the size `fstat`
    /// gave, so that a huge or sparse file is refused before a buffer of its size exists. `pread`:
    /// the file offset stays at 0 for the read that follows.
    private func checkFrame(_ descriptor: FileDescriptor, size: Int) throws(VaultError) {
        var start = (UInt64(0), UInt32(0))
        let result = withUnsafeMutableBytes(of: &start) { buffer in
            Result { () throws(VaultError) in
                let count: Int
                do {
                    count = try descriptor.read(fromAbsoluteOffset: 0, into: buffer)
                } catch {
                    throw .file(.io(path: pathString, operation: "read", error as? Errno ?? .ioError))
                }
                do throws(VaultFormatError) {
                    try VaultHeader.check(start: UnsafeRawBufferPointer(rebasing: buffer[0..<count]), size: size)
                    try VaultCodec.checkLength(size)
                } catch {
                    throw .unreadable(path: pathString, error)
                }
            }
        }
        try result.get()
    }

    private func readCiphertext(_ descriptor: FileDescriptor, expectedSize: Int) throws(VaultError) -> [UInt8] {
        // One spare byte notices a file that grew between fstat and read. Not zeroed first: it
        // is read over, and only what was read counts.
        do {
            return try [UInt8](unsafeUninitializedCapacity: expectedSize + 1) { buffer, count in
                count = try descriptor.readAll(into: UnsafeMutableRawBufferPointer(buffer))
            }
        } catch Errno.fileTooLarge {
            throw .unreadable(path: pathString, .badLength(size: expectedSize))
        } catch {
            throw .file(.io(path: pathString, operation: "read", error as? Errno ?? .ioError))
        }
    }

    /// `stat` of the vault's path, not following a symbolic link.
    func currentVersion() -> VaultVersion? {
        (try? location.path.stat(followTargetSymlink: false)).map { VaultVersion(.file(FileIdentity($0))) }
    }

    /// A `stat` costs about a microsecond: every cached read checks.
    var revalidationInterval: Double { 0 }

    var refusesRollback: Bool { false }

    // MARK: Locks

    func lockWriter(timeout: Double) throws(VaultError) -> any VaultLock {
        try location.lock(location.lockPath, timeout: timeout)
    }

    /// `done` is not asked: a waiter takes the lock within milliseconds of its release, and then
    /// finds what the holder sealed.
    func lockProfile(_ profile: String, timeout: Double, unlessMeanwhile done: () -> Bool) throws(VaultError) -> (any VaultLock)? {
        try RefreshFileLock(location, profile: profile, timeout: timeout)
    }

    // MARK: Writing

    /// Temp files left by a writer that was killed before its rename. Only called under the lock,
    /// so no live writer owns any of them.
    func prepareForWrite() {
        guard let names = try? location.directory.directoryEntries() else { return }
        for name in names where location.isTemporaryFile(name) {
            let stray = location.directory.appending(name)
            if (try? stray.unlink()) != nil {
                logger.notice("removed a stray temp file of an interrupted write", metadata: ["path": "\(stray)"])
            }
        }
    }

    /// Writes a temp file, fsyncs it, renames it over the vault and fsyncs the folder. `expected`
    /// is not compared: every writer holds the writer lock, so the file read under it is still
    /// the vault. The identity returned is the temp file's `fstat` after the rename (a rename
    /// changes the change time), taken on the descriptor that wrote it, so it is the identity of
    /// these very bytes.
    func replace(with bytes: [UInt8], expected: VaultVersion?) throws(VaultError) -> VaultVersion? {
        try replace(size: bytes.count, expected: expected) { write in
            try bytes.withUnsafeBytes { try write(0, $0) }
        }
    }

    /// As `replace(with:expected:)`, the temp file written piece by piece as `produce` seals; the kernel is asked to start writing out each piece but the last
    /// (`sync_file_range`) once it is written, so most of a large vault is already on its way
    /// to the disk when the `fsync` comes.
    func replace(
        size: Int, expected: VaultVersion?,
        producing produce: (_ write: (_ offset: Int, _ piece: UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws(VaultError) -> VaultVersion? {
        let suffix = Sodium.randomBytes(count: 6).hexString
        let temporary = location.directory.appending(location.temporaryPrefix + suffix)
        let descriptor: FileDescriptor
        do {
            descriptor = try PrivateFile.createExclusively(temporary)
        } catch {
            throw .file(error)
        }
        defer { try? descriptor.close() }
        var renamed = false
        defer { if !renamed { try? temporary.unlink() } }
        do {
            // A piece that follows the last sequential one (a vault of one piece: all of it) is
            // written with `write`, any other with `pwrite`.
            var position = 0
            try produce { offset, piece in
                if offset == position {
                    try descriptor.writeAll(piece)
                    position += piece.count
                } else {
                    try descriptor.writeAll(piece, toAbsoluteOffset: offset)
                }
                if offset + piece.count < size { descriptor.startWriteback(offset: offset, count: piece.count) }
            }
            try descriptor.sync()
        } catch {
            throw .file(.io(path: temporary.string, operation: "write", error as? Errno ?? .ioError))
        }
        do {
            try temporary.rename(to: location.path)
            renamed = true
        } catch {
            throw .file(.io(path: pathString, operation: "replace", error))
        }
        let identity = (try? descriptor.stat()).map { VaultVersion(.file(FileIdentity($0))) }
        try syncDirectory()
        return identity
    }

    private func syncDirectory() throws(VaultError) {
        let folder = location.directory
        do {
            let descriptor = try FileDescriptor.open(folder, .readOnly, options: [.directory, .closeOnExec])
            defer { try? descriptor.close() }
            try descriptor.sync()
        } catch {
            throw .file(.io(path: folder.string, operation: "sync folder", (error as? Errno) ?? .ioError))
        }
    }

    func createLocation() throws(VaultError) {
        do {
            try location.directory.createDirectories()
        } catch {
            throw .file(error)
        }
    }

    // MARK: Rollback record

    /// Kept in the writer lock file as 20 decimal digits and a newline; `nil` when the file holds
    /// none (an older tokenvault, or no write yet).
    func highestGenerationWritten() -> UInt64? {
        guard let descriptor = try? FileDescriptor.open(
            location.lockPath, .readOnly, options: [.noFollow, .closeOnExec, .nonBlocking]
        ) else { return nil }
        defer { try? descriptor.close() }
        return LockFileRecord.read(from: descriptor)
    }

    /// Not synced: after a power loss the record may be older than the vault, which only loses a
    /// warning.
    func recordGeneration(_ generation: UInt64) {
        do {
            let descriptor = try FileDescriptor.open(location.lockPath, .writeOnly, options: [.noFollow, .closeOnExec])
            defer { try? descriptor.close() }
            _ = try LockFileRecord.encode(generation).withUnsafeBytes { try descriptor.write(toAbsoluteOffset: 0, $0) }
        } catch {
            logger.notice("could not record the vault's generation", metadata: ["path": "\(location.lockPath)", "error": "\(error)"])
        }
    }
}
