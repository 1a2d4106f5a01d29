import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Where the vault key comes from. First match wins:
///
/// | | source | what it holds |
/// |-|-|-|
/// | 1 | `--keyfile PATH` or `--key-fd N` | a keyfile's path; a file descriptor to read key lines from |
/// | 2 | `TOKENVAULT_KEY` | key lines |
/// | 3 | `TOKENVAULT_KEY_COMMAND` | a command that prints key lines |
/// | 4 | `TOKENVAULT_KEY_CREDENTIAL` | a systemd credential's name: `$CREDENTIALS_DIRECTORY/NAME` |
/// | 5 | `TOKENVAULT_KEYFILE` | a keyfile's path |
/// | 6 | the default keyfile | `$XDG_CONFIG_HOME/tokenvault/key`, else `~/.config/tokenvault/key`, if there is one |
///
/// What is given on the command line comes before the environment; among the variables, the
/// key itself, then the sources that produce one, then a path.
public enum KeySource: Sendable, Equatable {
    /// `TOKENVAULT_KEY`.
    case environment
    /// A keyfile, and what named it (`--keyfile`, `TOKENVAULT_KEYFILE` or `defaultKeyfileOrigin`).
    case keyfile(FilePath, origin: String)
    /// An inherited file descriptor (`--key-fd`), read to its end and closed.
    case descriptor(Int32)
    /// A command whose standard output is the key lines (`TOKENVAULT_KEY_COMMAND`), and how long
    /// it may run, in seconds.
    case command(String, timeout: Int)
    /// A systemd credential (`TOKENVAULT_KEY_CREDENTIAL`): its name, and the folder systemd put it
    /// in (`CREDENTIALS_DIRECTORY`; `nil` when unset).
    case credential(name: String, directory: FilePath?)

    /// The variable that holds key lines themselves; read once, then wiped and unset.
    public static let keyVariable = "TOKENVAULT_KEY"
    /// The variable that holds a keyfile's path.
    public static let keyfileVariable = "TOKENVAULT_KEYFILE"
    /// The variable that holds a command printing the key lines.
    public static let commandVariable = "TOKENVAULT_KEY_COMMAND"
    /// The variable that holds a systemd credential's name.
    public static let credentialVariable = "TOKENVAULT_KEY_CREDENTIAL"
    /// The variable systemd sets to the folder of a service's credentials.
    public static let credentialsDirectoryVariable = "CREDENTIALS_DIRECTORY"
    /// The option that names an inherited file descriptor.
    public static let descriptorOption = "--key-fd"
    /// The origin of the default keyfile, used when no other source is set.
    public static let defaultKeyfileOrigin = "the default keyfile"
    /// How long a key command may run, in seconds, unless `TOKENVAULT_KEY_COMMAND_TIMEOUT` says.
    public static let defaultCommandTimeout = 30

    /// The name of this source, as the option or variable that set it.
    public var name: String {
        switch self {
        case .environment: return Self.keyVariable
        case .keyfile(_, let origin): return origin
        case .descriptor: return Self.descriptorOption
        case .command: return Self.commandVariable
        case .credential: return Self.credentialVariable
        }
    }

    /// The source in force, the sources it shadows (to warn about: ignoring a source in silence
    /// is how users end up with the wrong key), and where the default keyfile was looked for.
    /// `explicitDescriptor` is what `--key-fd` says.
    public static func resolve(explicitKeyfile: String?, explicitDescriptor: Int32? = nil) -> KeyLookup {
        resolve(explicitKeyfile: explicitKeyfile, explicitDescriptor: explicitDescriptor, variable: { name in getenv(name).map { String(cString: $0) } })
    }

    /// `resolve(explicitKeyfile:explicitDescriptor:)` with the variables `variable` reads by
    /// name. The key variable's value is only tested for being empty.
    static func resolve(explicitKeyfile: String?, explicitDescriptor: Int32? = nil, variable: (String) -> String?) -> KeyLookup {
        var found: [KeySource] = []
        if let explicitKeyfile, !explicitKeyfile.isEmpty {
            found.append(.keyfile(FilePath(explicitKeyfile), origin: "--keyfile"))
        }
        if let explicitDescriptor {
            found.append(.descriptor(explicitDescriptor))
        }
        if let value = getenv(keyVariable), value.pointee != 0 {
            found.append(.environment)
        }
        if let commandLine = variable(commandVariable), !commandLine.isEmpty {
            found.append(.command(commandLine, timeout: defaultCommandTimeout))
        }
        if let name = variable(credentialVariable), !name.isEmpty {
            let directory = variable(credentialsDirectoryVariable).flatMap { $0.isEmpty ? nil : FilePath($0) }
            found.append(.credential(name: name, directory: directory))
        }
        if let path = variable(keyfileVariable), !path.isEmpty {
            found.append(.keyfile(FilePath(path), origin: keyfileVariable))
        }
        let defaultKeyfile = defaultKeyfile(variable: variable)
        if found.isEmpty, let defaultKeyfile, (try? defaultKeyfile.stat(followTargetSymlink: false)) != nil {
            // Anything at the path, even a dangling link, is the user's choice of keyfile: loading
            // it applies the same checks as to any keyfile, and reports what is wrong with it.
            found.append(.keyfile(defaultKeyfile, origin: defaultKeyfileOrigin))
        }
        return KeyLookup(source: found.first, shadowed: found.dropFirst().map(\.name), defaultKeyfile: defaultKeyfile)
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
    /// shows it) and removes it, so that child processes do not inherit it. When another source
    /// comes first, a shadowed `TOKENVAULT_KEY` is wiped and removed the same way, unread (before
    /// a key command starts, so it never sees it).
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
        case .descriptor(let descriptor):
            Self.wipeKeyVariable()
            return try KeyRing.load(descriptor: descriptor)
        case .command(let commandLine, let timeout):
            Self.wipeKeyVariable()
            return try KeyRing.load(commandLine: commandLine, timeout: timeout)
        case .credential(let name, let directory):
            Self.wipeKeyVariable()
            return try KeyRing.load(credential: name, in: directory)
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
    /// The sources set but shadowed by `source`, by name (`TOKENVAULT_KEY`, `TOKENVAULT_KEYFILE`,
    /// …: `KeySource.name`).
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
