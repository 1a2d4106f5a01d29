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
        let text: Secret
        do {
            text = try PrivateFile.readSecret(path, followSymlinks: followSymlinks, limit: keyfileLimit)
        } catch .missing {
            throw .keyfileMissing(path: path.string)
        } catch .tooLarge {
            throw .keyfileTooLarge(path: path.string, limit: keyfileLimit)
        } catch .insecure(_, .ownedByOtherUser(let uid)) {
            throw .foreignKeyfile(path: path.string, ownerID: uid)
        } catch {
            throw .file(error)
        }
        return try parse(text, source: path.string)
    }
}
