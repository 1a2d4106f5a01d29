import Logging
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One way from the environment to a configured vault, used by the `tokenvault` command and by
/// apps alike: which vault (`--vault`, else `TOKENVAULT_PATH`, else the default path; a file, or a
/// PostgreSQL address), which key
/// source (`--keyfile` or `--key-fd`, else `TOKENVAULT_KEY`, else `TOKENVAULT_KEY_COMMAND`, else
/// `TOKENVAULT_KEY_CREDENTIAL`, else `TOKENVAULT_KEYFILE`, else the default keyfile
/// `$XDG_CONFIG_HOME/tokenvault/key` or `~/.config/tokenvault/key` if it exists: `KeySource`),
/// how long a key command may run (`TOKENVAULT_KEY_COMMAND_TIMEOUT`), how long a token request
/// may take (`TOKENVAULT_HTTP_TIMEOUT`), and the logger everything built from it logs to. What is given explicitly (the `vault` and `keyfile` arguments, the
/// command's flags) comes before the environment.
///
///     let configuration = try VaultConfiguration(logger: logger)
///     let tokens = try configuration.tokenManager()
public struct VaultConfiguration: Sendable {
    /// The vault: a file, or a row of a PostgreSQL database.
    public var address: VaultAddress
    /// The key source in force; `nil` when none is set and there is no default keyfile (then
    /// `store()` throws `KeyError.noKey`).
    public var keySource: KeySource? {
        get { keyLookup.source }
        set { keyLookup.source = newValue }
    }
    /// The key sources set but shadowed by `keySource`, by name, to warn about.
    public var shadowedKeySources: [String] {
        get { keyLookup.shadowed }
        set { keyLookup.shadowed = newValue }
    }
    /// Where the key was looked for: the source in force, the ones it shadows and the default
    /// keyfile's path.
    public var keyLookup: KeyLookup
    /// Timeouts and limits for token requests.
    public var limits: HTTPLimits
    /// The logger of the stores, refresh engines and managers built from this configuration.
    public var logger: Logger

    /// The variable that caps a whole token request, in seconds from 1 to 600.
    public static let httpTimeoutVariable = "TOKENVAULT_HTTP_TIMEOUT"
    /// The variable that caps how long the key command runs, in seconds from 1 to 600 (30 unset).
    public static let keyCommandTimeoutVariable = "TOKENVAULT_KEY_COMMAND_TIMEOUT"

    /// Reads the configuration from this process's environment. `vault`, `keyfile` and
    /// `keyDescriptor` are what `--vault`, `--keyfile` and `--key-fd` say, if given; each comes
    /// before the variables. Variables are read by name: the environment is never enumerated, so
    /// the key variable is never copied here.
    public init(
        vault: String? = nil, keyfile: String? = nil, keyDescriptor: Int32? = nil, logger: Logger = Logger(label: "tokenvault")
    ) throws(ConfigurationError) {
        do {
            address = try VaultAddress.resolve(explicit: vault)
        } catch {
            throw .badVaultAddress(error)
        }
        keyLookup = KeySource.resolve(explicitKeyfile: keyfile, explicitDescriptor: keyDescriptor)
        if case .command(let commandLine, _) = keyLookup.source {
            let timeout = try Self.keyCommandTimeout(fromEnvironmentValue: getenv(Self.keyCommandTimeoutVariable).map { String(cString: $0) })
            keyLookup.source = .command(commandLine, timeout: timeout)
        }
        limits = try Self.limits(fromEnvironmentValue: getenv(Self.httpTimeoutVariable).map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) })
        self.logger = logger
    }

    /// The limits `TOKENVAULT_HTTP_TIMEOUT` sets: it caps a whole token request; the connect
    /// timeout is the smaller of it and 10 s. `nil` (unset) keeps the defaults.
    static func limits(fromEnvironmentValue text: String?) throws(ConfigurationError) -> HTTPLimits {
        var limits = HTTPLimits()
        guard let text else { return limits }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 1, seconds <= 600 else {
            throw .badHTTPTimeout(text)
        }
        limits.totalTimeout = seconds
        limits.connectTimeout = min(10, seconds)
        return limits
    }

    /// The seconds `TOKENVAULT_KEY_COMMAND_TIMEOUT` gives the key command; `nil` (unset) keeps
    /// `KeySource.defaultCommandTimeout`.
    static func keyCommandTimeout(fromEnvironmentValue text: String?) throws(ConfigurationError) -> Int {
        guard let text else { return KeySource.defaultCommandTimeout }
        guard let seconds = Int(text), seconds >= 1, seconds <= 600 else { throw .badKeyCommandTimeout(text) }
        return seconds
    }

    /// The keys of `keySource`.
    public func loadKeys() throws(KeyError) -> KeyRing {
        guard let keySource else { throw .noKey(defaultKeyfile: keyLookup.defaultKeyfile?.string) }
        return try keySource.load()
    }

    /// The vault, opened with `loadKeys()`, logging to `logger`.
    public func store() throws(KeyError) -> VaultStore {
        VaultStore(address: address, keys: try loadKeys(), logger: logger)
    }

    /// The vault opened with `keys` instead of the configured source (a key rotation).
    public func store(keys: KeyRing) -> VaultStore {
        VaultStore(address: address, keys: keys, logger: logger)
    }

    /// A token manager over `store()`, with `limits` and `logger`.
    public func tokenManager() throws(KeyError) -> TokenManager {
        TokenManager(store: try store(), limits: limits, logger: logger)
    }
}

/// Why the environment does not make a usable configuration.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `TOKENVAULT_HTTP_TIMEOUT` is not a number of seconds from 1 to 600; the value it had.
    case badHTTPTimeout(String)
    /// `TOKENVAULT_KEY_COMMAND_TIMEOUT` is not a whole number of seconds from 1 to 600; the value it had.
    case badKeyCommandTimeout(String)
    /// `--vault` or `TOKENVAULT_PATH` is a PostgreSQL address that cannot be used.
    case badVaultAddress(PostgresAddressError)

    /// The variable, its value cleaned for display, and what it must be.
    public var description: String {
        switch self {
        case .badHTTPTimeout(let text):
            return "\(VaultConfiguration.httpTimeoutVariable)='\(PrintableText.clean(text))' is not a number of seconds from 1 to 600"
        case .badKeyCommandTimeout(let text):
            return "\(VaultConfiguration.keyCommandTimeoutVariable)='\(PrintableText.clean(text))' is not a whole number of seconds from 1 to 600"
        case .badVaultAddress(let error):
            return error.description
        }
    }
}
