import Foundation
import Testing

/// Runs Debian's psql over TCP as a client of the cluster would connect: the libpq variables of
/// `server.environment(as:database:)`, the password from the pgpass file.
private func tcpPSQL(
    _ server: PostgresServer, _ sql: String, as role: PostgresServer.Role = .app, database: String = PostgresServer.database,
    environment overrides: [String: String] = [:]
) throws -> RunResult {
    var environment = server.environment(as: role, database: database)
    environment["PATH"] = "/usr/bin:/bin"
    for (name, value) in overrides { environment[name] = value }
    return try runProcess(server.binaries + "/psql", ["-X", "-A", "-t", "-q", "-w", "-v", "ON_ERROR_STOP=1"],
                          environment: environment, stdin: sql)
}

/// The state letter of a process in /proc/PID/stat (R, S, Z…), or nil when there is no such process.
private func processState(_ pid: Int32) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(close, offsetBy: 2)]
}

/// The live (not zombie) postgres processes whose command line names `text`.
private func liveProcesses(naming text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "postgres\n",
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), processState(pid) != "Z" else { return false }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text)
    }
}

private func mode(of path: String) -> Int {
    var status = stat()
    guard lstat(path, &status) == 0 else { return -1 }
    return Int(status.st_mode & 0o7777)
}

@Suite("PostgresServer, the test cluster for the PostgreSQL store")
struct PostgresServerSelfTests {
    @Test("the app role logs in over TCP with its password from the pgpass file, by variables or by URI")
    func appLogsInOverTCP() throws {
        let server = try PostgresServer.shared()
        let byVariables = try tcpPSQL(server, "SELECT current_user, inet_server_addr(), current_database();")
        #expect(byVariables.status == 0, "\(byVariables.stderr)")
        #expect(byVariables.stdout == "tokenvault_app|127.0.0.1|tokenvault_test\n")

        let byURI = try runProcess(server.binaries + "/psql", ["-X", "-A", "-t", "-w", "-d", server.uri(.owner), "-c", "SELECT current_user"],
                                   environment: ["PATH": "/usr/bin:/bin", "PGPASSFILE": server.pgpassPath])
        #expect(byURI.status == 0, "\(byURI.stderr)")
        #expect(byURI.stdout == "tokenvault_owner\n")
        let passwords = try String(contentsOfFile: server.pgpassPath, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ":").last! }
        #expect(passwords.count == 4 && passwords.allSatisfy { $0.count == 48 })
        #expect(PostgresServer.Role.allCases.allSatisfy { role in passwords.allSatisfy { !server.uri(role).contains($0) } })
        #expect(server.uri(.app) == "postgresql://tokenvault_app@127.0.0.1:\(server.port)/tokenvault_test")
        #expect(mode(of: server.pgpassPath) == 0o600)
    }

    /// Each row: the pgpass file's text (nil: none at all), what the server or libpq answers.
    static let refusedLogins: [(String, PostgresServer.Role, String?, String)] = [
        ("no pgpass file", .app, nil, "no password supplied"),
        ("a wrong password", .app, "127.0.0.1:*:*:tokenvault_app:wrong\n", "password authentication failed for user \"tokenvault_app\""),
        ("the owner's password for the app role", .app, "OWNER", "password authentication failed for user \"tokenvault_app\""),
        ("the superuser, who has no password", .superuser, "127.0.0.1:*:*:postgres:anything\n", "password authentication failed for user \"postgres\""),
    ]

    @Test("TCP logins need the role's own password", arguments: refusedLogins)
    func tcpNeedsPassword(_ refusal: (String, PostgresServer.Role, String?, String)) throws {
        let (_, role, pgpass, answer) = refusal
        let server = try PostgresServer.shared()
        let folder = TemporaryDirectory()
        let path = folder.file("pgpass")
        if var text = pgpass {
            if text == "OWNER" {
                let lines = try String(contentsOfFile: server.pgpassPath, encoding: .utf8).split(separator: "\n")
                let owner = try #require(lines.first { $0.hasPrefix("127.0.0.1:*:*:tokenvault_owner:") })
                text = "127.0.0.1:*:*:tokenvault_app:" + owner.split(separator: ":").last! + "\n"
            }
            try #require(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        }
        let result = try tcpPSQL(server, "SELECT 1;", as: role, environment: ["PGPASSFILE": path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(answer), "\(result.stderr)")
    }

    @Test("the app role cannot create a table until the owner grants it; neither role is a superuser")
    func appCannotCreate() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        defer { try? server.dropDatabase(database) }

        let refused = try tcpPSQL(server, "CREATE TABLE t (x int);", database: database)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("permission denied for schema public"), "\(refused.stderr)")
        let inDefault = try tcpPSQL(server, "CREATE TABLE t (x int);")
        #expect(inDefault.stderr.contains("permission denied for schema public"), "\(inDefault.stderr)")
        let schema = try tcpPSQL(server, "CREATE SCHEMA vault;", database: database)
        #expect(schema.stderr.contains("permission denied for database \(database)"), "\(schema.stderr)")

        let owned = try tcpPSQL(server, "CREATE TABLE owned (x int); SELECT tableowner FROM pg_tables WHERE tablename = 'owned';",
                                as: .owner, database: database)
        #expect(owned.status == 0, "\(owned.stderr)")
        #expect(owned.stdout == "tokenvault_owner\n")

        try server.psql("GRANT CREATE ON SCHEMA public TO tokenvault_app;", database: database)
        let granted = try tcpPSQL(server, "CREATE TABLE t (x int);", database: database)
        #expect(granted.status == 0, "\(granted.stderr)")

        let roles = try server.psql("""
            SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles
            WHERE rolname LIKE 'tokenvault%' ORDER BY rolname;
            """)
        #expect(roles == "tokenvault_app|f|f|f\ntokenvault_owner|f|f|f")
        let owner = try server.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'name';",
                                    variables: ["name": database])
        #expect(owner == "tokenvault_owner")
    }

    @Test("each test database is empty and open to the owner and app roles only")
    func createdDatabasesAreSeparate() throws {
        let server = try PostgresServer.shared()
        let first = try server.createDatabase(), second = try server.createDatabase()
        defer { try? server.dropDatabase(first); try? server.dropDatabase(second) }
        #expect(first != second)
        try server.psql("CREATE TABLE only_here (x int);", database: first)
        #expect(try server.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here';", database: second) == "0")

        try server.psql("CREATE ROLE stranger LOGIN PASSWORD 'stranger-password';", as: .superuser)
        defer { _ = try? server.psql("DROP ROLE stranger;", as: .superuser) }
        let stranger = try server.psql("SELECT has_database_privilege('stranger', :'name', 'CONNECT');", variables: ["name": first])
        #expect(stranger == "f")
        let app = try server.psql("SELECT has_database_privilege('tokenvault_app', :'name', 'CONNECT');", variables: ["name": first])
        #expect(app == "t")
    }

    @Test("terminateBackends ends the sessions of that application name at once, and only those")
    func terminateBackendsEndsSession() throws {
        let server = try PostgresServer.shared()
        let name = "tokenvault-selftest-\(UInt32.random(in: 0...UInt32.max))"
        final class Box: @unchecked Sendable { var result: Result<RunResult, Error>? }
        let box = Box()
        let group = DispatchGroup()
        let start = ContinuousClock.now
        group.enter()
        DispatchQueue.global().async {
            box.result = Result { try tcpPSQL(server, "SELECT pg_sleep(30);", environment: ["PGAPPNAME": name]) }
            group.leave()
        }
        var seen = "0"
        for _ in 0..<200 where seen != "1" {
            seen = try server.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = :'name' AND state = 'active';",
                                   as: .superuser, variables: ["name": name])
            if seen != "1" { usleep(50_000) }
        }
        #expect(seen == "1")
        #expect(try server.terminateBackends(applicationName: name + "-other") == 0)
        #expect(group.wait(timeout: .now() + 0.5) == .timedOut, "the session ended before it was terminated")

        #expect(try server.terminateBackends(applicationName: name) == 1)
        #expect(group.wait(timeout: .now() + 10) == .success)
        let result = try #require(box.result).get()
        #expect(ContinuousClock.now - start < .seconds(15))
        #expect(result.status != 0)
        #expect(result.stderr.contains("terminating connection due to administrator command"), "\(result.stderr)")
    }

    @Test("a restart keeps committed data and the port")
    func restartKeepsData() throws {
        let server = try PostgresServer()
        try server.psql("CREATE TABLE kept (x text); INSERT INTO kept VALUES ('before restart');")
        let port = server.port
        let pidBefore = try server.serverProcessID()

        let start = ContinuousClock.now
        try server.restart()
        let took = ContinuousClock.now - start
        #expect(took < .seconds(10))
        #expect(server.port == port)
        #expect(try server.serverProcessID() != pidBefore)
        #expect(processState(pidBefore) == nil || processState(pidBefore) == "Z")
        let read = try tcpPSQL(server, "SELECT x FROM kept;", as: .owner)
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout == "before restart\n")
    }

    @Test("stop leaves no server process, start serves the same data again, and a server that goes away removes its folder")
    func stopLeavesNoProcess() throws {
        var server: PostgresServer? = try PostgresServer()
        let folder = try #require(server).directory.path
        try #require(server).psql("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7);")
        let pid = try #require(server).serverProcessID()
        #expect(processState(pid) != nil && processState(pid) != "Z")
        #expect(!liveProcesses(naming: folder).isEmpty)

        try #require(server).stop()
        #expect(processState(pid) == nil || processState(pid) == "Z")
        #expect(liveProcesses(naming: folder) == [])
        let refused = try tcpPSQL(try #require(server), "SELECT 1;", as: .owner)
        #expect(refused.status == 2)

        try #require(server).start()
        #expect(try #require(server).psql("SELECT x FROM kept;") == "7")
        #expect(!liveProcesses(naming: folder).isEmpty)

        server = nil
        #expect(liveProcesses(naming: folder) == [])
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    @Test("a server that cannot start says why, with the end of its log")
    func failedStartShowsLog() throws {
        let server = try PostgresServer()
        server.stop()
        let config = server.directory.file("server/data/postgresql.conf")
        let handle = try #require(FileHandle(forWritingAtPath: config))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("no_such_setting = 1\n".utf8))
        try handle.close()
        let error = try #require(throws: PostgresServer.PostgresServerError.self) { try server.start() }
        #expect(error.text.contains("pg-cluster: error: the server did not start"), "\(error.text)")
        #expect(error.text.contains("unrecognized configuration parameter \"no_such_setting\""), "\(error.text)")
        #expect(liveProcesses(naming: server.directory.path) == [])
    }

    @Test("the server's files belong to an unprivileged user, in a private folder")
    func serverFilesArePrivate() throws {
        let server = try PostgresServer.shared()
        #expect(mode(of: server.socketDirectory) == 0o700)
        #expect(mode(of: server.directory.file("server/data")) == 0o700)
        let superuser = try server.psql("SELECT current_setting('is_superuser'), current_setting('password_encryption');", as: .superuser)
        #expect(superuser == "on|scram-sha-256")
        var status = stat()
        #expect(stat(server.directory.file("server/data"), &status) == 0)
        #expect(status.st_uid != 0)
    }
}
