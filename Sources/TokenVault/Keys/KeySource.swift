import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Where the vault key comes from. First match wins: an explicit keyfile (`--keyfile`),
/// `TOKENVAULT_KEY` (the key text), `TOKENVAULT_KEYFILE` (a path), then the default keyfile
/// (`$XDG_CONFIG_HOME/tokenvault/key`, else `~/.config/tokenvault/key`) if there is one.
public enum KeySource: Sendable, Equatable {
    /// `TOKENVAULT_KEY`.
    case environment
    /// A keyfile, and what named it (`--keyfile`, `TOKENVAULT_KEYFILE` or `defaultKeyfileOrigin`).
    case keyfile(FilePath, origin: String)

    /// The variable that holds key lines themselves; read once, then wiped and unset.
    public static let keyVariable = "TOKENVAULT_KEY"
    /// The variable that holds a keyfile's path.
    public static let keyfileVariable = "TOKENVAULT_KEYFILE"
    /// The origin of the default keyfile, used when no other source is set.
    public static let defaultKeyfileOrigin = "the default keyfile"

    /// The source in force, the sources it shadows (to warn about: ignoring a source in silence
    /// is how users end up with the wrong key), and where the default keyfile was looked for.
    public static func resolve(explicitKeyfile: String?) -> KeyLookup {
        resolve(explicitKeyfile: explicitKeyfile, variable: { name in getenv(name).map { String(cString: $0) } })
    }

    /// `resolve(explicitKeyfile:)` with the variables `variable` reads by name. The key variable's
    /// value is only tested for being empty.
    static func resolve(explicitKeyfile: String?, variable: (String) -> String?) -> KeyLookup {
        var found: [(KeySource, String)] = []
        if let explicitKeyfile, !explicitKeyfile.isEmpty {
            found.append((.keyfile(FilePath(explicitKeyfile), origin: "--keyfile"), "--keyfile"))
        }
        if let value = getenv(keyVariable), value.pointee != 0 {
            found.append((.environment, keyVariable))
        }
        if let path = variable(keyfileVariable), !path.isEmpty {
            found.append((.keyfile(FilePath(path), origin: keyfileVariable), keyfileVariable))
        }
        let defaultKeyfile = defaultKeyfile(variable: variable)
        if found.isEmpty, let defaultKeyfile, (try? defaultKeyfile.stat(followTargetSymlink: false)) != nil {
            // Anything at the path, even a dangling link, is the user's choice of keyfile: loading
            // it applies the same checks as to any keyfile, and reports what is wrong with it.
            found.append((.keyfile(defaultKeyfile, origin: defaultKeyfileOrigin), defaultKeyfileOrigin))
        }
        return KeyLookup(source: found.first?.0, shadowed: found.dropFirst().map(\.1), defaultKeyfile: defaultKeyfile)
    }

    /// `$XDG_CONFIG_HOME/tokenvault/key` (when `XDG_CONFIG_HOME` is an absolute path), else
    /// `~/.config/tokenvault/key`, with `HOME`, else the password database's home folder;
    /// `nil` when there is no home folder either.
    static func defaultKeyfile(variable: (String) -> String?) -> FilePath? {
        let configHome = variable("XDG_CONFIG_HOME").flatMap { $0.hasPrefix("/") ? FilePath($0) : nil }
            ?? HomeDirectory.current(variable: variable)?.appending(".config")
        return configHome?.appending("tokenvault/key")
    }

    /// Loads the keys. Reading `TOKENVAULT_KEY` copies it into guarded memory, overwrites the
    /// variable's bytes in this process's environment block (so `/proc/self/environ` no longer
    /// shows it) and removes it, so that child processes do not inherit it. When a keyfile comes
    /// first, a shadowed `TOKENVAULT_KEY` is wiped and removed the same way, unread.
    public func load() throws(KeyError) -> KeyRing {
        switch self {
        case .keyfile(let path, _):
            Self.wipeKeyVariable()
            return try KeyRing.load(keyfile: path)
        case .environment:
            guard let value = getenv(Self.keyVariable) else { throw .noKey(defaultKeyfile: nil) }
            let text = Secret(copying: UnsafeRawBufferPointer(start: value, count: strlen(value)))
            Self.wipeKeyVariable()
            return try KeyRing.parse(text, source: Self.keyVariable)
        }
    }

    private static func wipeKeyVariable() {
        guard let value = getenv(keyVariable) else { return }
        Sodium.zero(UnsafeMutableRawBufferPointer(start: value, count: strlen(value)))
        unsetenv(keyVariable)
    }
}

/// Where a vault key was looked for, and what was found.
public struct KeyLookup: Sendable, Equatable {
    /// The source in force; `nil` when none is set and there is no default keyfile.
    public var source: KeySource?
    /// The sources set but shadowed by `source`, by name (`TOKENVAULT_KEY`, `TOKENVAULT_KEYFILE`).
    public var shadowed: [String]
    /// Where the default keyfile was looked for; `nil` when no home folder is known.
    public var defaultKeyfile: FilePath?

    /// A lookup's result, as `KeySource.resolve(explicitKeyfile:)` finds it.
    public init(source: KeySource?, shadowed: [String], defaultKeyfile: FilePath?) {
        self.source = source
        self.shadowed = shadowed
        self.defaultKeyfile = defaultKeyfile
    }
}
