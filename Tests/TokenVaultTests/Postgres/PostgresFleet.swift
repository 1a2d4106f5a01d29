import Foundation
import SystemPackage
import Testing
@testable import TokenVault

/// A vault in PostgreSQL with its own key, and "hosts" that use it: each host's processes have
/// their own HOME and XDG folders, and their own application name (PGAPPNAME), so a test can end
/// one host's connections.
final class PostgresSandbox: @unchecked Sendable {
    let server: PostgresServer
    let database: String
    let directory = TemporaryDirectory()
    let vaultName: String
    var keyfile: String { directory.file("key") }
    /// The vault, in a database of its own, for the owner role (which creates the tables).
    var address: String { server.uri(.owner, database: database) + "?vault=" + vaultName }

    /// A vault in a new database of `server` (else of the cluster the tests share).
    init(server: PostgresServer? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        self.server = try server ?? PostgresServer.shared()
        database = try self.server.createDatabase()
        vaultName = "v" + Sodium.randomBytes(count: 6).hexString
        try expectSuccess(["keygen", "--output", keyfile], sourceLocation: sourceLocation)
        try expectSuccess(["init"], sourceLocation: sourceLocation)
    }

    /// The environment of a process on `host`.
    func environment(host: String = "host0") -> [String: String] {
        let home = directory.file("home-\(host)")
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return server.environment(as: .owner, database: database).merging([
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "XDG_CONFIG_HOME": home + "/.config",
            "XDG_STATE_HOME": home + "/.local/state",
            "XDG_CACHE_HOME": home + "/.cache",
            "PGAPPNAME": "tokenvault-\(vaultName)-\(host)",
            "TOKENVAULT_PATH": address,
            "TOKENVAULT_KEYFILE": keyfile,
        ]) { $1 }
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

    /// A store over this vault in the test process (the library, as an app links it), its
    /// password from the cluster's pgpass file (`passfile` in the address: the test process's
    /// environment is shared by every test).
    func store(lockTimeout: Double = 60) throws -> VaultStore {
        var store = VaultStore(
            address: .postgres(try libraryAddress()), keys: try KeyRing.load(keyfile: FilePath(keyfile))
        )
        store.lockTimeout = lockTimeout
        return store
    }

    /// The vault's address for the test process itself, with the password file named in it.
    func libraryAddress() throws -> PostgresAddress {
        try PostgresAddress(server.uri(.owner, database: database) + "?passfile=\(server.pgpassPath)"
            + "&application_name=\(applicationName(host: "library"))&vault=" + vaultName)
    }

    /// The vault row's generation, as the database holds it.
    func generation() throws -> Int {
        Int(try psql("SELECT generation FROM tokenvault_vaults WHERE name = '\(vaultName)';")) ?? -1
    }

    /// Runs `sql` in this vault's database as the owner role.
    @discardableResult
    func psql(_ sql: String) throws -> String {
        try server.psql(sql, as: .owner, database: database)
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
