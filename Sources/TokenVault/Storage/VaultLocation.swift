import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Where a vault lives, and the sibling files its writers use.
///
/// The path comes from `--vault`, else `TOKENVAULT_PATH`, else
/// `$XDG_DATA_HOME/tokenvault/tokens.vault` (`~/.local/share/tokenvault/tokens.vault`).
public struct VaultLocation: Sendable, Equatable {
    /// The vault file itself.
    public let path: FilePath

    /// The vault at `path`, taken as given (relative paths from the working directory).
    public init(path: FilePath) {
        self.path = path
    }

    /// The vault path by the rules above: `explicit` unless `nil` or empty, else `environment`'s
    /// TOKENVAULT_PATH, XDG_DATA_HOME (only when absolute) and HOME.
    public static func resolve(explicit: String?, environment: [String: String]) -> VaultLocation {
        resolve(explicit: explicit, variable: { environment[$0] })
    }

    /// `resolve(explicit:environment:)` with this process's TOKENVAULT_PATH, XDG_DATA_HOME and
    /// HOME (read by name: the environment is never enumerated, so the key variable is never
    /// copied; and no dictionary is built, whose first use costs `tokenvault token` a generic
    /// instantiation at start-up).
    public static func resolve(explicit: String?) -> VaultLocation {
        resolve(explicit: explicit, variable: { name in getenv(name).map { String(cString: $0) } })
    }

    private static func resolve(explicit: String?, variable: (String) -> String?) -> VaultLocation {
        if let explicit, !explicit.isEmpty { return VaultLocation(path: FilePath(explicit)) }
        if let configured = variable("TOKENVAULT_PATH"), !configured.isEmpty {
            return VaultLocation(path: FilePath(configured))
        }
        return defaultLocation(variable: variable)
    }

    /// The default vault, whatever `--vault` and TOKENVAULT_PATH say: for the command's hints
    /// ("did you mean …").
    package static func defaultLocation() -> VaultLocation {
        defaultLocation(variable: { name in getenv(name).map { String(cString: $0) } })
    }

    private static func defaultLocation(variable: (String) -> String?) -> VaultLocation {
        let dataHome = variable("XDG_DATA_HOME").flatMap { $0.hasPrefix("/") ? FilePath($0) : nil }
            ?? FilePath(variable("HOME") ?? "/").appending(".local/share")
        return VaultLocation(path: dataHome.appending("tokenvault/tokens.vault"))
    }

    /// The folder that holds the vault (`.` for a bare file name).
    public var directory: FilePath {
        var folder = path
        return folder.removeLastComponent() && !folder.isEmpty ? folder : FilePath(".")
    }

    var fileName: String { path.lastComponent?.string ?? path.string }

    /// The writers' lock: a sibling, since `rename` replaces the vault itself.
    public var lockPath: FilePath { directory.appending(fileName + ".lock") }

    /// A profile's refresh lock: held across the whole token-endpoint exchange, so that each
    /// refresh token is spent exactly once across processes, without holding up writes to other
    /// profiles. Profile names are plain identifiers, safe in a file name.
    public func refreshLockPath(for profile: String) -> FilePath {
        directory.appending(fileName + ".refresh." + profile + ".lock")
    }

    /// Whether `name` (in the vault's folder) is a profile's refresh lock.
    func isRefreshLockFile(_ name: String) -> Bool {
        name.hasPrefix(fileName + ".refresh.") && name.hasSuffix(".lock")
    }

    /// Temp files of a writer start with this; a later writer removes strays.
    var temporaryPrefix: String { "." + fileName + ".tmp-" }

    /// Whether `name` is exactly a writer's temp file: the prefix and 12 hex digits.
    func isTemporaryFile(_ name: String) -> Bool {
        guard name.hasPrefix(temporaryPrefix) else { return false }
        let suffix = name.utf8.dropFirst(temporaryPrefix.utf8.count)
        return suffix.count == 12 && suffix.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
    }
}
