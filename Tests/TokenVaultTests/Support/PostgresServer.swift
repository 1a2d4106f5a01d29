import Foundation
import Testing

/// A private PostgreSQL cluster for the PostgreSQL store's tests, run by scripts/pg-cluster with
/// Debian's server binaries (scripts/setup installs them) in a temporary directory.
///
/// The server listens on 127.0.0.1:`port`, where every role logs in with its password
/// (scram-sha-256; no TLS), and on a Unix socket in `socketDirectory`, trusted, which `psql` uses to
/// set tests up. Roles: `tokenvault_owner` owns the database `tokenvault_test` and may create in it;
/// `tokenvault_app` may only connect; neither is a superuser. Their random passwords are only in the
/// 0600 file `pgpassPath`: a client finds them through PGPASSFILE (see `environment(as:database:)`),
/// never in a URI or argv. The bootstrap superuser `postgres` has no password and works only over the
/// socket.
///
/// Starting a cluster takes about two seconds, so tests share one per test process
/// (`PostgresServer.shared()`), each in a database of its own from `createDatabase()`: a fresh
/// name, owned by the owner role, that only the owner and the app role may connect to, so no test
/// sees another's tables and every test starts from PostgreSQL's empty template. A test that stops
/// or restarts the server, which the other tests would notice, starts its own `PostgresServer()`.
/// A cluster stops when its value goes away; the shared one when the test process exits, and, should
/// the process die, a watchdog started by scripts/pg-cluster stops it and removes its folder.
final class PostgresServer: @unchecked Sendable {
    /// The roles of the cluster, by name.
    enum Role: String, CaseIterable, Sendable {
        /// The bootstrap superuser: no password, the Unix socket only.
        case superuser = "postgres"
        /// Owns the test databases: may create schemas and tables in them.
        case owner = "tokenvault_owner"
        /// May connect to the test databases, and do no more until the owner grants it.
        case app = "tokenvault_app"
    }

    /// The database that every cluster starts with, owned by `Role.owner`.
    static let database = "tokenvault_test"

    let directory = TemporaryDirectory()
    private(set) var port = 0
    private var running = false

    /// Where Debian's PostgreSQL binaries of the cluster's version are (`psql`, `pg_ctl`, …).
    var binaries: String {
        (try? String(contentsOfFile: directory.file("bindir"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "/usr/bin"
    }
    var socketDirectory: String { directory.file("server") }
    var pgpassPath: String { directory.file("pgpass") }
    /// The server's log, for a failing test to show.
    var logPath: String { directory.file("server/server.log") }

    /// Starts a cluster of its own (create, start, set up roles and `tokenvault_test`).
    init() throws { try start() }

    deinit { stop() }

    /// The cluster shared by the tests of this process, started on first use.
    static func shared() throws -> PostgresServer { try sharedCluster.get() }

    private static let sharedCluster: Result<PostgresServer, any Error> = {
        let result = Result { try PostgresServer() }
        atexit {
            guard case .success(let server) = PostgresServer.sharedCluster else { return }
            server.stop()
            try? FileManager.default.removeItem(atPath: server.directory.path)
        }
        return result
    }()

    /// A libpq URI for `role` over TCP, without a password: the client reads it from PGPASSFILE.
    func uri(_ role: Role = .app, database: String = PostgresServer.database) -> String {
        "postgresql://\(role.rawValue)@127.0.0.1:\(port)/\(database)"
    }

    /// The libpq variables that make a child process connect to this cluster over TCP as `role`, its
    /// password from the pgpass file, and read no service file or configuration of the machine's
    /// (PGSYSCONFDIR, PGSERVICEFILE), so nothing reaches Debian's own cluster. Merge with PATH, HOME etc.
    func environment(as role: Role = .app, database: String = PostgresServer.database) -> [String: String] {
        [
            "PGHOST": "127.0.0.1",
            "PGPORT": String(port),
            "PGDATABASE": database,
            "PGUSER": role.rawValue,
            "PGPASSFILE": pgpassPath,
            "PGSERVICEFILE": directory.file("pg_service.conf"),
            "PGSYSCONFDIR": directory.path,
            "PGCONNECT_TIMEOUT": "10",
        ]
    }

    /// Creates (first time) and starts the cluster, again after `stop` (on the same port unless
    /// another program took it meanwhile).
    func start() throws {
        let result = try script("start", "--watch-pid", String(getpid()))
        port = try Self.readyPort(result, action: "start")
        running = true
    }

    /// Stops the server (fast shutdown: open sessions are ended) and starts it again on the same port.
    func restart() throws {
        let result = try script("restart")
        let port = try Self.readyPort(result, action: "restart")
        guard port == self.port else { throw PostgresServerError(text: "restart moved the server from port \(self.port) to \(port)") }
    }

    /// Stops the server (fast shutdown); the cluster's files stay until the value goes away.
    func stop() {
        guard running else { return }
        running = false
        _ = try? script("stop")
    }

    /// Runs `sql` (statements separated by semicolons; stops at the first error) with psql over the
    /// Unix socket as `role`, and returns the rows it prints: unaligned, tuples only, `|` between
    /// columns, no final newline. `variables` become psql variables (`:'name'` in `sql`).
    @discardableResult
    func psql(
        _ sql: String, as role: Role = .owner, database: String = PostgresServer.database, variables: [String: String] = [:]
    ) throws -> String {
        var arguments = ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                         "-h", socketDirectory, "-p", String(port), "-U", role.rawValue, "-d", database]
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) { arguments += ["-v", "\(name)=\(value)"] }
        let result = try runProcess(binaries + "/psql", arguments, environment: psqlEnvironment, stdin: sql)
        guard result.status == 0 else {
            throw PostgresServerError(text: "psql as \(role.rawValue) on \(database) failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout.hasSuffix("\n") ? String(result.stdout.dropLast()) : result.stdout
    }

    /// A new, empty database owned by `Role.owner`, which only the owner and `Role.app` may connect
    /// to; returns its name. Each test takes one, so tests sharing the cluster never meet.
    func createDatabase() throws -> String {
        let name = "tokenvault_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try psql("""
            CREATE DATABASE \(name) OWNER tokenvault_owner;
            REVOKE ALL ON DATABASE \(name) FROM PUBLIC;
            GRANT CONNECT ON DATABASE \(name) TO tokenvault_app;
            """, as: .superuser, database: "postgres")
        return name
    }

    /// Drops a database from `createDatabase()`, ending its sessions first.
    func dropDatabase(_ name: String) throws {
        try psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE);", as: .superuser, database: "postgres")
    }

    /// Ends every session whose application_name is `applicationName` (pg_terminate_backend, waiting
    /// up to 5 s for each to go) and returns how many it ended.
    @discardableResult
    func terminateBackends(applicationName: String) throws -> Int {
        let count = try psql("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))
            FROM pg_stat_activity WHERE application_name = :'name' AND pid <> pg_backend_pid();
            """, as: .superuser, database: "postgres", variables: ["name": applicationName])
        guard let ended = Int(count) else { throw PostgresServerError(text: "pg_terminate_backend answered \(count)") }
        return ended
    }

    /// The postmaster's process id, while the server runs.
    func serverProcessID() throws -> Int32 {
        let text = try String(contentsOfFile: directory.file("server/data/postmaster.pid"), encoding: .utf8)
        guard let first = text.split(separator: "\n").first, let pid = Int32(first) else {
            throw PostgresServerError(text: "postmaster.pid names no process: \(text)")
        }
        return pid
    }

    struct PostgresServerError: Error, CustomStringConvertible {
        let text: String
        var description: String { text }
    }

    private var psqlEnvironment: [String: String] {
        ["PATH": "/usr/bin:/bin", "PGSYSCONFDIR": directory.path, "PGSERVICEFILE": directory.file("pg_service.conf")]
    }

    private func script(_ action: String, _ extra: String...) throws -> RunResult {
        let result = try runProcess(
            sourceTree.appendingPathComponent("scripts/pg-cluster").path, [action, directory.path] + extra,
            environment: ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"])
        guard result.status == 0 else {
            throw PostgresServerError(text: "scripts/pg-cluster \(action) failed (\(result.status)):\n\(result.stderr)")
        }
        return result
    }

    private static func readyPort(_ result: RunResult, action: String) throws -> Int {
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("READY "), let port = Int(line.dropFirst(6)) else {
            throw PostgresServerError(text: "scripts/pg-cluster \(action) printed \(line), not READY <port>:\n\(result.stderr)")
        }
        return port
    }
}
