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
        } catch .insecure(_, .ownedByOtherUser(let uid)) {
            throw .foreignKeyfile(path: path.string, ownerID: uid)
        }
        return try parse(text, source: path.string)
    }
}

/// Where the vault key comes from. First match wins: `TOKENVAULT_KEY` (the key text),
/// `TOKENVAULT_KEYFILE` (a path), then an explicit keyfile (`--keyfile`).
public enum KeySource: Sendable, Equatable {
    case environment
    case keyfile(FilePath, origin: String)

    public static let keyVariable = "TOKENVAULT_KEY"
    public static let keyfileVariable = "TOKENVAULT_KEYFILE"

    /// The source in force, and the sources it shadows (to warn about: ignoring an explicit
    /// flag in silence is how users end up with the wrong key).
    public static func resolve(explicitKeyfile: String?) -> (source: KeySource, shadowed: [String])? {
        var found: [(KeySource, String)] = []
        if let value = getenv(keyVariable), value.pointee != 0 {
            found.append((.environment, keyVariable))
        }
        if let value = getenv(keyfileVariable), value.pointee != 0 {
            found.append((.keyfile(FilePath(String(cString: value)), origin: keyfileVariable), keyfileVariable))
        }
        if let explicitKeyfile, !explicitKeyfile.isEmpty {
            found.append((.keyfile(FilePath(explicitKeyfile), origin: "--keyfile"), "--keyfile"))
        }
        guard let first = found.first else { return nil }
        return (first.0, found.dropFirst().map(\.1))
    }

    /// Loads the keys. Reading `TOKENVAULT_KEY` copies it into guarded memory, overwrites the
    /// variable's bytes in this process's environment block (so `/proc/self/environ` no longer
    /// shows it) and removes it, so that child processes do not inherit it.
    public func load() throws(VaultError) -> KeyRing {
        switch self {
        case .keyfile(let path, _):
            return try KeyRing.load(keyfile: path)
        case .environment:
            guard let value = getenv(Self.keyVariable) else { throw .noKey }
            let length = strlen(value)
            let text = Secret(copying: UnsafeRawBufferPointer(start: value, count: length))
            Sodium.zero(UnsafeMutableRawBufferPointer(start: value, count: length))
            unsetenv(Self.keyVariable)
            return try KeyRing.parse(text, source: Self.keyVariable)
        }
    }
}
