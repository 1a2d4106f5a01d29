import Logging
import SystemPackage

/// Reads and writes one vault file.
///
/// Readers take no lock: every write is a complete new file renamed over the old one, so a reader
/// sees the old vault or the new, never a mix. Writers serialize on the sibling lock file, re-read
/// the vault once they hold it, and write atomically and durably: a temp file in the same folder
/// (`O_CREAT|O_EXCL|O_NOFOLLOW`, 0600), write, fsync, rename over the vault, fsync the folder.
public struct VaultStore: Sendable {
    public let location: VaultLocation
    public let keys: KeyRing
    let logger: Logger
    /// How long a writer waits for the lock before giving up with `VaultError.busy`.
    public var lockTimeout: Double = 60

    public init(location: VaultLocation, keys: KeyRing, logger: Logger = Logger(label: "tokenvault")) {
        self.location = location
        self.keys = keys
        self.logger = logger
    }

    var pathString: String { location.path.string }

    // MARK: Reading

    public func read() throws(VaultError) -> VaultSnapshot {
        let (descriptor, status): (FileDescriptor, Stat)
        do {
            (descriptor, status) = try PrivateFile.openForReading(location.path, followSymlinks: false)
        } catch {
            throw VaultError(error, vault: pathString)
        }
        defer { try? descriptor.close() }
        let size = Int(status.size)
        try checkFrame(descriptor, size: size)
        return try open(readCiphertext(descriptor, expectedSize: size), identity: FileIdentity(status))
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

    /// The identity of the file at the vault's path now, without reading it (`stat`, not
    /// following a symbolic link). `nil` when there is no file.
    public func currentIdentity() -> FileIdentity? {
        (try? location.path.stat(followTargetSymlink: false)).map(FileIdentity.init)
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

    private func open(_ file: consuming [UInt8], identity: FileIdentity) throws(VaultError) -> VaultSnapshot {
        do throws(VaultFormatError) {
            let opened = try Self.openBytes(file, keys: keys)
            // The sealed bytes are let go before parsing: for a large vault, that is a vault's
            // size off the peak.
            _ = consume file
            let profiles = try VaultPayload.decode(opened.plaintext)
            return VaultSnapshot(
                profiles: profiles, generation: opened.header.generation, sealedWith: opened.key.id,
                sealedWithCurrentKey: opened.key.id == keys.sealingKey.id, identity: identity
            )
        } catch {
            throw .unreadable(path: pathString, error)
        }
    }

    private static func openBytes(_ file: [UInt8], keys: KeyRing) throws(VaultFormatError) -> VaultCodec.Opened {
        var result: Result<VaultCodec.Opened, VaultFormatError>!
        file.withUnsafeBytes { bytes in
            result = Result { () throws(VaultFormatError) in try VaultCodec.open(bytes, keys: keys) }
        }
        return try result.get()
    }

    // MARK: Writing

    /// Creates an empty vault; refuses to replace an existing one.
    public func create() throws(VaultError) {
        try ensureDirectory()
        let lock = try location.lock(location.lockPath, timeout: lockTimeout)
        try withExtendedLifetime(lock) { () throws(VaultError) in
            if currentIdentity() != nil { throw .file(.alreadyExists(path: pathString)) }
            try write([:], generation: 1)
        }
    }

    /// Runs `change` on the current profiles under the writer lock and seals the result as the
    /// next generation. `change` sees the vault as it is once the lock is held, so concurrent
    /// writers never lose each other's updates. Nothing is written when `change` throws.
    @discardableResult
    public func update<Result>(
        _ change: (inout [String: TokenProfile], VaultSnapshot) throws -> Result
    ) throws -> Result {
        try location.holding(location.lockPath, timeout: lockTimeout) {
            removeStrayTemporaryFiles()
            let current = try read()
            var profiles = current.profiles
            markRollback(&profiles, generation: current.generation)
            let result = try change(&profiles, current)
            try write(profiles, generation: try nextGeneration(after: current))
            return result
        }
    }

    /// Re-seals the vault under `newKeys.sealingKey`, under the writer lock: opens it with any key
    /// of either ring, seals the same profiles as the next generation, checks that the new bytes
    /// open with the new key alone and decode to the same profiles, then replaces the file
    /// atomically. Returns the key id the vault was sealed with before.
    public func rotate(to newKeys: KeyRing) throws(VaultError) -> KeyID {
        let either = VaultStore(location: location, keys: KeyRing(keys: newKeys.keys + keys.keys), logger: logger)
        let lock = try location.lock(location.lockPath, timeout: lockTimeout)
        return try withExtendedLifetime(lock) { () throws(VaultError) in
            either.removeStrayTemporaryFiles()
            let current = try either.read()
            var profiles = current.profiles
            either.markRollback(&profiles, generation: current.generation)
            let payload = VaultPayload.encode(profiles)
            let generation = try nextGeneration(after: current)
            let file = VaultCodec.seal(paddedPayload: payload, key: newKeys.sealingKey, generation: generation)
            let reopened: [String: TokenProfile]
            do throws(VaultFormatError) {
                let check = try Self.openBytes(file, keys: KeyRing(keys: [newKeys.sealingKey]))
                reopened = try VaultPayload.decode(check.plaintext)
            } catch {
                throw .unreadable(path: pathString, error)
            }
            guard Set(reopened.keys) == Set(profiles.keys),
                  reopened.allSatisfy({ name, profile in
                      profiles[name].map { Self.sameTokens(profile, $0) } ?? false
                  })
            else {
                throw .resealMismatch
            }
            try either.replaceAtomically(with: file)
            either.recordGeneration(generation)
            logger.notice("re-sealed the vault under a new key", metadata: [
                "path": "\(pathString)", "from": "\(current.sealedWith)", "to": "\(newKeys.sealingKey.id)",
            ])
            return current.sealedWith
        }
    }

    private static func sameTokens(_ lhs: TokenProfile, _ rhs: TokenProfile) -> Bool {
        func same(_ a: Secret?, _ b: Secret?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case (let a?, let b?): return a.isEqual(to: b)
            default: return false
            }
        }
        return same(lhs.accessToken, rhs.accessToken) && same(lhs.refreshToken, rhs.refreshToken)
            && same(lhs.binding.clientSecret, rhs.binding.clientSecret)
            && lhs.binding.tokenEndpoint == rhs.binding.tokenEndpoint && lhs.expiresAt == rhs.expiresAt
            && lhs.refreshState == rhs.refreshState
    }

    /// The generation after `snapshot`'s; at 2^64-1 the vault is written no more (SECURITY.md,
    /// "Header"), rather than wrap to 0.
    private func nextGeneration(after snapshot: VaultSnapshot) throws(VaultError) -> UInt64 {
        guard snapshot.generation < .max else { throw .unwritable(path: pathString, .lastGeneration) }
        return snapshot.generation + 1
    }

    /// Seals and atomically replaces the vault. Callers hold the writer lock. Refuses profile names
    /// outside `ProfileName`'s rule and a vault over `VaultCodec.maximumFileSize`: no reader would
    /// open either.
    func write(_ profiles: [String: TokenProfile], generation: UInt64) throws(VaultError) {
        if let name = profiles.keys.first(where: { !ProfileName.isValid($0) }) { throw .invalidProfileName(name) }
        let payload = VaultPayload.encode(profiles)
        let size = VaultHeader.byteCount + SecretBox.tagByteCount + payload.count
        guard size <= VaultCodec.maximumFileSize else {
            throw .unwritable(path: pathString, .tooLarge(size: size, limit: VaultCodec.maximumFileSize))
        }
        let file = VaultCodec.seal(paddedPayload: payload, key: keys.sealingKey, generation: generation)
        try replaceAtomically(with: file)
        recordGeneration(generation)
        logger.debug("sealed vault", metadata: [
            "path": "\(pathString)", "generation": "\(generation)", "profiles": "\(profiles.count)",
            "key_id": "\(keys.sealingKey.id)",
        ])
    }

    func replaceAtomically(with bytes: [UInt8]) throws(VaultError) {
        let suffix = Sodium.randomBytes(count: 6).hexString
        let temporary = location.directory.appending(location.temporaryPrefix + suffix)
        let descriptor: FileDescriptor
        do {
            descriptor = try PrivateFile.createExclusively(temporary)
        } catch {
            throw .file(error)
        }
        var renamed = false
        defer { if !renamed { try? temporary.unlink() } }
        do {
            defer { try? descriptor.close() }
            try bytes.withUnsafeBytes { try descriptor.writeAll($0) }
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
        try syncDirectory()
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

    // MARK: Rollback

    /// The highest generation a writer on this host has sealed into this vault, kept in the
    /// writer lock file as 20 decimal digits and a newline; `nil` when the file holds none (an
    /// older tokenvault, or no write yet). Not authenticated: it only ever raises a warning.
    public func highestGenerationWritten() -> UInt64? {
        guard let descriptor = try? FileDescriptor.open(
            location.lockPath, .readOnly, options: [.noFollow, .closeOnExec, .nonBlocking]
        ) else { return nil }
        defer { try? descriptor.close() }
        var text = [UInt8](repeating: 0, count: Self.generationRecordLength)
        guard let count = try? text.withUnsafeMutableBytes({ try descriptor.read(fromAbsoluteOffset: 0, into: $0) }),
              count == Self.generationRecordLength, text.last == UInt8(ascii: "\n") else { return nil }
        var value: UInt64 = 0
        for digit in text.dropLast() {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    private static let generationRecordLength = 21

    /// Keeps `generation` as the highest written, in the writer lock file. Callers hold the
    /// writer lock. Not synced: after a power loss the record may be older than the vault, which
    /// only loses a warning; a failure to write it is logged and otherwise ignored.
    func recordGeneration(_ generation: UInt64) {
        let digits = String(generation)
        let text = String(repeating: "0", count: Self.generationRecordLength - 1 - digits.count) + digits + "\n"
        do {
            let descriptor = try FileDescriptor.open(location.lockPath, .writeOnly, options: [.noFollow, .closeOnExec])
            defer { try? descriptor.close() }
            _ = try Array(text.utf8).withUnsafeBytes { try descriptor.write(toAbsoluteOffset: 0, $0) }
        } catch {
            logger.notice("could not record the vault's generation", metadata: ["path": "\(location.lockPath)", "error": "\(error)"])
        }
    }

    /// When the vault is at an older generation than this host last wrote, it was restored from
    /// an older copy, and any profile refreshed since that copy holds a spent refresh token.
    /// Records that on every profile with a refresh token before anything else changes, so that
    /// `status` keeps saying it after this write has moved the record on.
    func markRollback(_ profiles: inout [String: TokenProfile], generation: UInt64) {
        guard let highest = highestGenerationWritten(), generation < highest else { return }
        let now = WallClock.now
        for name in profiles.keys where profiles[name]!.refreshToken != nil && profiles[name]!.refreshState.rolledBackAt == nil {
            profiles[name]!.refreshState.rolledBackAt = now
        }
        logger.warning("the vault is at an older generation than this host last wrote: it was restored from an older copy, and refresh tokens rotated since that copy are spent", metadata: [
            "path": "\(pathString)", "generation": "\(generation)", "highest_written": "\(highest)",
        ])
    }

    /// Temp files left by a writer that was killed before its rename. Only called under the lock,
    /// so no live writer owns any of them.
    func removeStrayTemporaryFiles() {
        guard let names = try? location.directory.directoryEntries() else { return }
        for name in names where location.isTemporaryFile(name) {
            let stray = location.directory.appending(name)
            if (try? stray.unlink()) != nil {
                logger.notice("removed a stray temp file of an interrupted write", metadata: ["path": "\(stray)"])
            }
        }
    }

    /// Creates the vault's folder (0700) when it is missing, with its missing parents.
    private func ensureDirectory() throws(VaultError) {
        do {
            try location.directory.createDirectories()
        } catch {
            throw .file(error)
        }
    }
}
