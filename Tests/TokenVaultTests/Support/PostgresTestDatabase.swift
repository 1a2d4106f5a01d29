import Foundation

/// A database of its own in the shared test cluster (`PostgresServer.shared()`), as the command
/// tests use it: addresses with a vault name for `--vault`, the environment a `tokenvault` process
/// needs to log in, and psql as the owner.
struct PostgresTestDatabase: Sendable {
    let server: PostgresServer
    let name: String

    init() throws {
        server = try PostgresServer.shared()
        name = try server.createDatabase()
    }

    /// PGPASSFILE for the roles' passwords, and no service file or configuration of the machine's.
    var environment: [String: String] {
        server.environment().filter { ["PGPASSFILE", "PGSERVICEFILE", "PGSYSCONFDIR"].contains($0.key) }
    }

    /// A URI naming the vault `vault` in this database, for `role`, without a password.
    func address(vault: String, role: PostgresServer.Role = .owner) -> String {
        server.uri(role, database: name) + "?vault=" + vault
    }

    /// The database's URI without TokenVault's parameter, as psql takes it.
    var databaseAddress: String { server.uri(.owner, database: name) }

    /// The folder of psql and the server's other programs.
    var bindir: String { server.binaries }

    /// A vault name no other test uses.
    func vaultName(_ prefix: String) -> String {
        prefix + "-" + UUID().uuidString.prefix(8).lowercased()
    }

    /// Runs `sql` with psql as the owner; the rows, `|`-separated, one a line.
    @discardableResult
    func psql(_ sql: String) throws -> String {
        try server.psql(sql, database: name)
    }
}
