import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The keys a process holds, in order: the first seals, every one opens. A keyfile with the new
/// key first and the old key second is how a fleet rotates without downtime (SECURITY.md, "Key
/// rotation").
public struct KeyRing: Sendable {
    public let keys: [VaultKey]

    public init(keys: [VaultKey]) {
        precondition(!keys.isEmpty, "a key ring needs at least one key")
        self.keys = keys
    }

    public var sealingKey: VaultKey { keys[0] }
    public var ids: [KeyID] { keys.map(\.id) }

    func key(withID id: KeyID) -> VaultKey? {
        keys.first { $0.id == id }
    }

    /// Parses key lines: one key a line, blank lines and `#` comments ignored.
    static func parse(_ text: Secret, source: String) throws(VaultError) -> KeyRing {
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
    public static func load(keyfile path: FilePath) throws(VaultError) -> KeyRing {
        let limit = 64 * 1024
        let text: Secret
        do {
            text = try PrivateFile.readSecret(path, followSymlinks: true, limit: limit, missing: .keyfileMissing(path: path.string))
        } catch .invalidInput {
            // The only input error a read reports: more than `limit` bytes.
            throw .keyfileTooLarge(path: path.string, limit: limit)
        }
        return try parse(text, source: path.string)
    }
}
