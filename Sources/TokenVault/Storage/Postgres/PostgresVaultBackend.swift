import Logging

/// Keeps a vault's sealed bytes in a row of a PostgreSQL table, shared by every host that
/// connects to the database (SECURITY.md, "PostgreSQL vaults").
///
/// The row holds exactly the bytes a vault file holds (`bytea`), sealed before they leave the
/// process: the database, its replicas, dumps and backups see ciphertext only. Every write is a
/// compare-and-swap on the row's generation in one statement, so no writer lock exists and none
/// can be left behind; a writer that lost reads the vault again and applies its change again.
/// A profile's refresh lock is a lease row with a holder and an expiry, renewed while its holder
/// lives and kept after a request it sent, until that request can no longer arrive.
struct PostgresVaultBackend: SealedVaultBackend {
    let connection: PostgresConnection
    let logger: Logger

    init(address: PostgresAddress, logger: Logger) {
        connection = PostgresConnection(address: address, logger: logger)
        self.logger = logger
    }

    var address: PostgresAddress { connection.address }
    var description: String { address.description }
    private var name: PostgresConnection.Parameter { .text(address.vaultName) }

    /// The tables `init` creates (SECURITY.md shows the same, with the grants an app needs).
    static let schema = """
        CREATE TABLE tokenvault_vaults (
            name text PRIMARY KEY,
            generation bigint NOT NULL CHECK (generation > 0),
            sealed bytea NOT NULL,
            written_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE tokenvault_leases (
            vault text NOT NULL,
            lease text NOT NULL,
            holder text NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (vault, lease)
        );
        """

    // MARK: Reading

    /// `nil` also when the database has no TokenVault tables: no vault there yet.
    func readSealed() throws(VaultError) -> SealedVersion? {
        let rows: PostgresConnection.Rows
        do {
            rows = try run("SELECT generation, sealed FROM tokenvault_vaults WHERE name = $1", [name], idempotent: true)
        } catch .database(_, .notInitialized) {
            return nil
        }
        guard let row = rows.values.first, let generation = row[0].flatMap(Self.bigint), let bytes = row[1] else {
            return nil
        }
        do throws(VaultFormatError) {
            try Self.checkFrame(bytes)
        } catch {
            throw .unreadable(path: description, error)
        }
        return SealedVersion(bytes: bytes, version: VaultVersion(.row(generation: generation)))
    }

    /// One round trip; `nil` when there is no vault, and also when the database cannot be
    /// asked (then the read that follows reports why).
    func currentVersion() -> VaultVersion? {
        guard let rows = try? run("SELECT generation FROM tokenvault_vaults WHERE name = $1", [name], idempotent: true),
              let generation = rows.values.first?[0].flatMap(Self.bigint) else { return nil }
        return VaultVersion(.row(generation: generation))
    }

    /// A cached token that needs no refresh is served without a round trip for this long after
    /// its version was last checked; a 401, a refresh or a write checks at once.
    var revalidationInterval: Double { 5 }

    // MARK: Locks

    func lockWriter(timeout: Double) throws(VaultError) -> any VaultLock { NoVaultLock() }

    func lockProfile(_ profile: String, timeout: Double, unlessMeanwhile done: () -> Bool) throws(VaultError) -> (any VaultLock)? {
        try PostgresLease(backend: self, lease: "refresh:" + profile, timeout: timeout, unlessMeanwhile: done)
    }

    // MARK: Writing

    func prepareForWrite() {}

    func replace(with bytes: [UInt8], expected: VaultVersion?) throws(VaultError) -> VaultVersion? {
        guard bytes.count >= VaultHeader.byteCount else { throw .unwritable(path: description, .truncated(size: bytes.count)) }
        let generation = VaultHeader.generation(of: bytes)
        guard generation <= UInt64(Int64.max) else { throw .unwritable(path: description, .lastGeneration) }
        let rows: PostgresConnection.Rows
        switch expected?.origin {
        case nil:
            rows = try run(
                "INSERT INTO tokenvault_vaults (name, generation, sealed) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                [name, .text(String(generation)), .bytes(bytes)], idempotent: false
            )
        case .row(let current):
            rows = try run(
                "UPDATE tokenvault_vaults SET generation = $2, sealed = $3, written_at = now() WHERE name = $1 AND generation = $4",
                [name, .text(String(generation)), .bytes(bytes), .text(String(current))], idempotent: false
            )
        case .file:
            preconditionFailure("a file version given to the PostgreSQL backend")
        }
        guard rows.affected == 1 else { throw .versionConflict(path: description) }
        return VaultVersion(.row(generation: generation))
    }

    func replace(
        size: Int, expected: VaultVersion?,
        producing produce: (_ write: (_ offset: Int, _ piece: UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws(VaultError) -> VaultVersion? {
        var bytes = [UInt8](repeating: 0, count: size)
        do {
            try bytes.withUnsafeMutableBytes { buffer in
                try produce { offset, piece in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + piece.count]).copyMemory(from: piece)
                }
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw .database(path: description, .refused("sealing failed: \(error)"))
        }
        return try replace(with: bytes, expected: expected)
    }

    /// Not kept: a process remembers the highest generation it has seen instead (`VaultStore`
    /// refuses an older one), since a record in the database would be restored with the row.
    func highestGenerationWritten() -> UInt64? { nil }

    var refusesRollback: Bool { true }

    func recordGeneration(_ generation: UInt64) {}

    /// Creates the tables when they are missing; a role without CREATE can run it once they exist.
    /// Of two processes creating a table at once, one fails (IF NOT EXISTS does not cover a
    /// concurrent CREATE) once the other has committed it: its second try finds the table.
    func createLocation() throws(VaultError) {
        let rows = try run(
            "SELECT to_regclass('tokenvault_vaults') IS NOT NULL AND to_regclass('tokenvault_leases') IS NOT NULL",
            idempotent: true
        )
        if rows.values.first?[0] == [1] { return }
        for statement in Self.schema.split(separator: ";") where statement.contains("CREATE") {
            let create = String(statement.replacing("CREATE TABLE", with: "CREATE TABLE IF NOT EXISTS"))
            do {
                _ = try run(create, idempotent: true)
            } catch {
                // Two processes creating the same table at once: IF NOT EXISTS looks before, not
                // during, so the one that loses fails on a catalog's unique index. Once more, it
                // finds the table; any other failure comes back the same.
                _ = try run(create, idempotent: true)
            }
        }
    }

    /// Checks 1 to 7 of SECURITY.md's reading order, as the file backend does before reading.
    private static func checkFrame(_ bytes: [UInt8]) throws(VaultFormatError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(VaultFormatError) in
                try VaultHeader.check(start: UnsafeRawBufferPointer(rebasing: buffer.prefix(12)), size: buffer.count)
            }
        }
        try result.get()
        try VaultCodec.checkLength(bytes.count)
    }

    // MARK: Database

    func run(_ sql: String, _ parameters: [PostgresConnection.Parameter] = [], idempotent: Bool) throws(VaultError) -> PostgresConnection.Rows {
        do {
            return try connection.run(sql, parameters, idempotent: idempotent)
        } catch {
            throw .database(path: description, error)
        }
    }

    /// A binary `bigint` (8 bytes, big-endian), as the generation; `nil` for anything else.
    static func bigint(_ bytes: [UInt8]) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
