#if canImport(Glibc)
import Glibc
#endif

/// Where a vault lives: a file (`VaultLocation`), or a row of a PostgreSQL database
/// (`PostgresAddress`), as `--vault` or `TOKENVAULT_PATH` names it.
public enum VaultAddress: Sendable, Equatable, CustomStringConvertible {
    /// A vault file.
    case file(VaultLocation)
    /// A vault in PostgreSQL.
    case postgres(PostgresAddress)

    /// `explicit` unless `nil` or empty, else TOKENVAULT_PATH, else the default vault file: a
    /// value that starts with `postgresql:` or `postgres://` is a PostgreSQL address
    /// (`PostgresAddress`), anything else a path.
    public static func resolve(explicit: String?) throws(PostgresAddressError) -> VaultAddress {
        let given = explicit.flatMap { $0.isEmpty ? nil : $0 }
            ?? getenv("TOKENVAULT_PATH").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        if let given, PostgresAddress.isAddress(given) { return .postgres(try PostgresAddress(given)) }
        return .file(VaultLocation.resolve(explicit: explicit))
    }

    /// The vault file, for a file vault.
    public var fileLocation: VaultLocation? {
        if case .file(let location) = self { return location }
        return nil
    }

    /// The file's path, or the database address without its password.
    public var description: String {
        switch self {
        case .file(let location): return location.path.string
        case .postgres(let address): return address.description
        }
    }
}
