import Foundation

/// One private PostgreSQL cluster for the tests of this process (scripts/pg-cluster), started on
/// first use and stopped by its watchdog when the process ends. Tests keep apart by vault name
/// (`vaultName()`), so they share it safely when they run in parallel.
final class PostgresTestCluster: Sendable {
    let folder: String
    let port: Int
    let bindir: String

    static let shared: Result<PostgresTestCluster, Error> = Result { try PostgresTestCluster() }

    /// The shared cluster; a test fails (not skips) when it cannot be started.
    static func start() throws -> PostgresTestCluster { try shared.get() }

    private init() throws {
        // Not a TemporaryDirectory: the watchdog removes the folder once this process is gone.
        var template = Array("/tmp/tv-pg-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else { throw ClusterError(description: "mkdtemp failed") }
        folder = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let script = sourceTree.appendingPathComponent("scripts/pg-cluster").path
        // The server outlives this call: it must hold no pipe of this process. Its output goes to
        // files, and every other descriptor is closed first, since a test running another process
        // at the same time may have a pipe open that the fork copied here.
        let start = """
            for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null; done
            exec "$0" start "$1" --watch-pid "$2" </dev/null >"$1/start.out" 2>"$1/start.err"
            """
        let result = try runProcess(
            "/bin/bash", ["-c", start, script, folder, String(getpid())],
            environment: ["PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"]
        )
        let output = (try? String(contentsOfFile: folder + "/start.out", encoding: .utf8)) ?? ""
        guard result.status == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }),
              let port = Int(line.dropFirst(6))
        else {
            let errors = (try? String(contentsOfFile: folder + "/start.err", encoding: .utf8)) ?? ""
            throw ClusterError(description: "scripts/pg-cluster start failed (\(result.status)): \(errors)")
        }
        self.port = port
        bindir = try String(contentsOfFile: folder + "/bindir", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The environment a client needs besides the address: the passwords' file.
    var environment: [String: String] { ["PGPASSFILE": folder + "/pgpass"] }

    /// A URI for `role` (`tokenvault_owner` may create the tables, `tokenvault_app` may not).
    func address(vault: String, role: String = "tokenvault_owner") -> String {
        "postgresql://\(role)@127.0.0.1:\(port)/tokenvault_test?vault=\(vault)"
    }

    /// The same database without TokenVault's parameter, as psql takes it.
    func databaseAddress(role: String = "tokenvault_owner") -> String {
        "postgresql://\(role)@127.0.0.1:\(port)/tokenvault_test"
    }

    /// A vault name no other test uses.
    func vaultName(_ prefix: String) -> String {
        prefix + "-" + UUID().uuidString.prefix(8).lowercased()
    }

    /// Runs `sql` with psql as the owner; the rows, `|`-separated, one a line.
    @discardableResult
    func psql(_ sql: String) throws -> String {
        let result = try runProcess(
            bindir + "/psql", ["-XAtq", "-v", "ON_ERROR_STOP=1", databaseAddress()],
            environment: environment.merging(["PATH": "/usr/bin:/bin"]) { $1 }, stdin: sql
        )
        guard result.status == 0 else { throw ClusterError(description: "psql failed: \(result.stderr)") }
        return result.stdout
    }

    struct ClusterError: Error, CustomStringConvertible {
        let description: String
    }
}
