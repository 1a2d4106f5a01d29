import Foundation
import SystemPackage
import Testing
@testable import TokenVault

/// A private PostgreSQL cluster started with scripts/pg-cluster (Debian's server, as an
/// unprivileged user, loopback scram-sha-256 and a trusted private socket), stopped when the
/// value goes away, or by the script's watchdog when the test process dies.
final class PostgresCluster: @unchecked Sendable {
    let directory = TemporaryDirectory()
    private(set) var port = 0
    let bindir: String
    static let script = sourceTree.appendingPathComponent("scripts/pg-cluster").path

    /// One cluster for the tests that neither stop nor restart it; each test uses its own vault name.
    static let shared: Result<PostgresCluster, any Error> = Result { try PostgresCluster() }

    init(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try Self.cluster(["start", directory.path, "--watch-pid", String(getpid())])
        try #require(result.status == 0, "scripts/pg-cluster start failed: \(result.stderr)", sourceLocation: sourceLocation)
        port = try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("READY ".count)))
        bindir = try String(contentsOfFile: directory.file("bindir"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { stop() }

    /// Runs scripts/pg-cluster with no descriptor of this process but its standard ones: the
    /// server and the watchdog outlive the script, and Foundation's Process takes a child for
    /// running while anything holds the descriptor it watches.
    private static func cluster(_ arguments: [String]) throws -> RunResult {
        let closing = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@""#
        return try runProcess("/bin/bash", ["-c", closing, "pg-cluster", script] + arguments,
                              environment: ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "TMPDIR": NSTemporaryDirectory()])
    }

    func stop() {
        _ = try? Self.cluster(["stop", directory.path])
    }

    func start(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try Self.cluster(["start", directory.path, "--watch-pid", String(getpid())])
        try #require(result.status == 0, "scripts/pg-cluster start failed: \(result.stderr)", sourceLocation: sourceLocation)
    }

    func restart(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try Self.cluster(["restart", directory.path])
        try #require(result.status == 0, "scripts/pg-cluster restart failed: \(result.stderr)", sourceLocation: sourceLocation)
    }

    var pgpass: String { directory.file("pgpass") }

    /// The address of vault `vault` for the owner role, over loopback TCP with the pgpass file.
    func address(vault: String) -> String {
        "postgresql://tokenvault_owner@127.0.0.1:\(port)/tokenvault_test?vault=\(vault)"
    }

    /// Runs `sql` as the superuser over the private socket (statements on stdin); returns psql's
    /// unaligned, tuples-only output.
    @discardableResult
    func psql(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try runProcess(bindir + "/psql", [
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory.file("server"), "-p", String(port),
            "-U", "postgres", "-d", "tokenvault_test",
        ], environment: ["PATH": "/usr/bin:/bin"], stdin: sql)
        try #require(result.status == 0, "psql failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A new, empty database owned by the owner role; its name.
    func freshDatabase() throws -> String {
        let name = "db" + Sodium.randomBytes(count: 6).hexString
        try psql("CREATE DATABASE \(name) OWNER tokenvault_owner;")
        return name
    }

    /// Ends every backend of the processes that connected as `applicationName`; how many.
    @discardableResult
    func terminateBackends(applicationName: String) throws -> Int {
        Int(try psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '\(applicationName)';")) ?? 0
    }
}

/// A vault in PostgreSQL with its own key, and "hosts" that use it: each host's processes have
/// their own HOME and XDG folders, and their own application name (PGAPPNAME), so a test can end
/// one host's connections.
final class PostgresSandbox: @unchecked Sendable {
    let cluster: PostgresCluster
    let directory = TemporaryDirectory()
    let vaultName: String
    var keyfile: String { directory.file("key") }
    var address: String { cluster.address(vault: vaultName) }

    init(cluster: PostgresCluster? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        self.cluster = try cluster ?? PostgresCluster.shared.get()
        vaultName = "v" + Sodium.randomBytes(count: 6).hexString
        try expectSuccess(["keygen", "--output", keyfile], sourceLocation: sourceLocation)
        try expectSuccess(["init"], sourceLocation: sourceLocation)
    }

    /// The environment of a process on `host`.
    func environment(host: String = "host0") -> [String: String] {
        let home = directory.file("home-\(host)")
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return [
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "XDG_CONFIG_HOME": home + "/.config",
            "XDG_STATE_HOME": home + "/.local/state",
            "XDG_CACHE_HOME": home + "/.cache",
            "PGAPPNAME": "tokenvault-\(vaultName)-\(host)",
            "PGPASSFILE": cluster.pgpass,
            "TOKENVAULT_PATH": address,
            "TOKENVAULT_KEYFILE": keyfile,
        ]
    }

    func applicationName(host: String) -> String { "tokenvault-\(vaultName)-\(host)" }

    @discardableResult
    func run(
        _ arguments: [String], host: String = "host0", stdin: String? = nil, environment overrides: [String: String] = [:]
    ) throws -> RunResult {
        try runProcess(tokenvaultExecutable, arguments, environment: environment(host: host).merging(overrides) { $1 }, stdin: stdin)
    }

    @discardableResult
    func expectSuccess(
        _ arguments: [String], host: String = "host0", stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunResult {
        let result = try run(arguments, host: host, stdin: stdin)
        #expect(result.status == 0, "tokenvault \(arguments) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// A store over this vault in the test process (the library, as an app links it). PGPASSFILE
    /// is set for the whole test process: every sandbox's cluster writes the same roles' file
    /// shape, and each test's processes get their own in `environment(host:)`.
    func store(lockTimeout: Double = 60) throws -> VaultStore {
        setenv("PGPASSFILE", cluster.pgpass, 1)
        var store = VaultStore(
            address: .postgres(try PostgresAddress(address)), keys: try KeyRing.load(keyfile: FilePath(keyfile))
        )
        store.lockTimeout = lockTimeout
        return store
    }

    /// The vault row's generation, as the database holds it.
    func generation() throws -> Int {
        Int(try cluster.psql("SELECT generation FROM tokenvault_vaults WHERE name = '\(vaultName)';")) ?? -1
    }

    /// Imports a profile of made-up tokens named after it.
    func importProfile(_ name: String, host: String = "host0", expiresIn: Int = 3600, endpoint: String = "https://auth.example.com/token") throws -> RunResult {
        let json = """
            {"access_token":"\(secretMarker)-access-\(name)","token_type":"Bearer","expires_in":\(expiresIn),\
            "refresh_token":"\(secretMarker)-refresh-\(name)"}
            """
        return try run(["import", name, "--token-endpoint", endpoint, "--client-id", "client-\(name)"], host: host, stdin: json)
    }
}

/// Starts `tokenvault ARGUMENTS` on `host` in the background; `finish()` collects it.
final class HostProcess: @unchecked Sendable {
    let process = Process()
    private let out = Pipe(), err = Pipe()
    private let outBox = Box(), errBox = Box()
    private let group = DispatchGroup()
    final class Box: @unchecked Sendable { var data = Data() }

    init(_ arguments: [String], environment: [String: String], stdin: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: tokenvaultExecutable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        for (pipe, box) in [(out, outBox), (err, errBox)] {
            group.enter()
            DispatchQueue.global().async { [group] in
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
    }

    var pid: Int32 { process.processIdentifier }

    func finish() -> RunResult {
        group.wait()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
                         stderr: String(decoding: errBox.data, as: UTF8.self))
    }
}
