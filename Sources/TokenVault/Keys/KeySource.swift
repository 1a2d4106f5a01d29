import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Where the vault key comes from. First match wins: `TOKENVAULT_KEY` (the key text),
/// `TOKENVAULT_KEYFILE` (a path), then an explicit keyfile (`--keyfile`).
public enum KeySource: Sendable, Equatable {
    /// `TOKENVAULT_KEY`.
    case environment
    /// A keyfile, and what named it (`TOKENVAULT_KEYFILE` or `--keyfile`).
    case keyfile(FilePath, origin: String)

    /// The variable that holds key lines themselves; read once, then wiped and unset.
    public static let keyVariable = "TOKENVAULT_KEY"
    /// The variable that holds a keyfile's path.
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
    public func load() throws(KeyError) -> KeyRing {
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
