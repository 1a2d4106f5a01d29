import SystemPackage

extension KeyRing {
    /// The largest keyfile read, 64 KiB: a keyfile holds a few key lines.
    static let keyfileLimit = 64 * 1024

    /// Parses key lines: one key a line, blank lines and `#` comments ignored. `source` names
    /// where the text came from in errors.
    static func parse(_ text: Secret, source: String) throws(KeyError) -> KeyRing {
        var keys: [VaultKey] = []
        var malformedLine: Int?
        text.withUnsafeBytes { bytes in
            var lineNumber = 0
            var lineStart = 0
            while lineStart <= bytes.count {
                lineNumber += 1
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                var first = lineStart
                var last = lineEnd
                while first < last, isBlank(bytes[first]) { first += 1 }
                while last > first, isBlank(bytes[last - 1]) { last -= 1 }
                if first < last, bytes[first] != UInt8(ascii: "#") {
                    guard let key = VaultKey.parse(text: UnsafeRawBufferPointer(rebasing: bytes[first..<last])) else {
                        malformedLine = lineNumber
                        return
                    }
                    keys.append(key)
                }
                lineStart = lineEnd + 1
            }
        }
        if let malformedLine { throw .malformedKey(source: source, line: malformedLine) }
        guard !keys.isEmpty else { throw .emptyKeySource(source: source) }
        return KeyRing(keys: keys)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D
    }

    /// Reads a keyfile. It must be a regular file owned by the current user with no access for
    /// group or others; a symbolic link to such a file is fine (secret mounts use them).
    public static func load(keyfile path: FilePath) throws(KeyError) -> KeyRing {
        try load(keyfile: path, followSymlinks: true)
    }

    /// `load(keyfile:)`, refusing a symbolic link unless `followSymlinks`.
    static func load(keyfile path: FilePath, followSymlinks: Bool) throws(KeyError) -> KeyRing {
        let text = try readKeyText(path, followSymlinks: followSymlinks, missing: .keyfileMissing(path: path.string))
        return try parse(text, source: path.string)
    }

    /// A keyfile's text with its checks (`grantedByRoot`: or a file of root's that an ACL lets
    /// this user alone read), each refusal as the key error it is; `missing` when there is none.
    private static func readKeyText(
        _ path: FilePath, followSymlinks: Bool, grantedByRoot: Bool = false, missing: KeyError
    ) throws(KeyError) -> Secret {
        do {
            return try PrivateFile.readSecret(path, followSymlinks: followSymlinks, grantedByRoot: grantedByRoot, limit: keyfileLimit)
        } catch .missing {
            throw missing
        } catch .tooLarge {
            throw .keyfileTooLarge(path: path.string, limit: keyfileLimit)
        } catch .insecure(_, .ownedByOtherUser(let uid)) {
            throw .foreignKeyfile(path: path.string, ownerID: uid)
        } catch {
            throw .file(error)
        }
    }
}

extension KeyRing {
    /// Reads a systemd credential: `directory/name`, as `LoadCredential=` and
    /// `LoadCredentialEncrypted=` leave it: a read-only file of yours, mode 0400, in a folder of
    /// yours, mode 0500; or, where the file system keeps ACLs, a read-only file of root's that an
    /// ACL lets you alone read, in a folder of root's. The file gets the checks of a keyfile
    /// (or `PrivateFile.checkGrantedByRoot`), without following a symbolic link; the folder must
    /// be yours or root's and writable by no one else.
    static func load(credential name: String, in directory: FilePath?) throws(KeyError) -> KeyRing {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else { throw .badCredentialName(name) }
        guard let directory else { throw .credentialsDirectoryUnset(name: name) }
        try checkCredentialsDirectory(directory, name: name)
        let path = directory.appending(name)
        let text = try readKeyText(
            path, followSymlinks: false, grantedByRoot: true, missing: .credentialMissing(name: name, directory: directory.string)
        )
        return try parse(text, source: path.string)
    }

    /// The credentials folder must be one systemd could have made: a folder of this user's or
    /// root's that group and others cannot write to.
    private static func checkCredentialsDirectory(_ directory: FilePath, name: String) throws(KeyError) {
        let status: Stat
        do {
            status = try directory.stat()
        } catch {
            if error == .noSuchFileOrDirectory { throw .credentialMissing(name: name, directory: directory.string) }
            throw .file(.io(path: directory.string, operation: "stat", error))
        }
        guard status.type == .directory else { throw .unsafeCredentialsDirectory(path: directory.string, .notRegularFile) }
        guard status.userID == currentUserID || status.userID.rawValue == 0 else {
            throw .unsafeCredentialsDirectory(path: directory.string, .ownedByOtherUser(status.userID.rawValue))
        }
        guard status.permissions.rawValue & 0o022 == 0 else {
            throw .unsafeCredentialsDirectory(path: directory.string, .folderWritableByOthers(status.permissions))
        }
    }

    /// Reads key lines from an inherited file descriptor (`--key-fd`) to its end, at most
    /// 64 KiB, then closes it.
    static func load(descriptor number: Int32) throws(KeyError) -> KeyRing {
        let descriptor = FileDescriptor(rawValue: number)
        defer { try? descriptor.close() }
        let buffer = SecureBuffer(count: keyfileLimit)
        let count: Int
        do {
            count = try descriptor.readAll(into: buffer.bytes)
        } catch {
            throw .unreadableDescriptor(number, error)
        }
        return try parse(Secret(buffer: buffer, range: 0..<count), source: "file descriptor \(number) (\(KeySource.descriptorOption))")
    }

    /// Runs the key command (`TOKENVAULT_KEY_COMMAND`) and reads key lines from its standard
    /// output, straight into guarded memory: at most 64 KiB, within `timeout` seconds.
    static func load(commandLine: String, timeout: Int) throws(KeyError) -> KeyRing {
        let text: Secret
        do {
            text = try Subprocess.output(of: commandLine, hiding: [KeySource.keyVariable], limit: keyfileLimit, timeout: timeout)
        } catch {
            throw .keyCommandFailed(error)
        }
        return try parse(text, source: "the output of \(KeySource.commandVariable)")
    }
}
