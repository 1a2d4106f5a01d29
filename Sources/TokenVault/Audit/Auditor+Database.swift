/// The checks of a PostgreSQL vault's address, as libpq will use it: the address's own
/// parameters (`PostgresAddress.parameters()`), then the PG* environment for what it leaves out.
extension Auditor {
    func checkDatabase(_ database: PostgresAddress) -> [AuditFinding] {
        let path = database.description
        let parameters: [String: String]
        do {
            parameters = try database.parameters()
        } catch {
            return [finding("database-address", .error, path, "the address cannot be checked: \(error)", .fixDatabaseAddress)]
        }
        var findings: [AuditFinding] = []
        let remote = Self.remoteHosts(parameters: parameters, environment: databaseEnvironment)
        let mode = parameters["sslmode"] ?? databaseEnvironment["PGSSLMODE"]
            ?? (parameters["requiressl"] == "1" ? "require" : "prefer")
        if !remote.isEmpty && mode != "verify-full" {
            let hosts = remote.joined(separator: ", ")
            let problem: String
            switch mode {
            case "verify-ca":
                problem = "sslmode is verify-ca to \(hosts): the certificate's CA is checked but not that it names the host, so any server with a certificate from that CA can pose as the database"
            case "require":
                problem = "sslmode is require to \(hosts): encrypted, but the server is not verified, so anyone on the path can pose as the database and hold its leases or serve an old vault"
            default:
                problem = "sslmode is \(mode) to \(hosts): the connection may go unencrypted and the server is not verified, so anyone on the path can read the role's traffic and pose as the database"
            }
            findings.append(finding("database-tls", mode == "verify-ca" ? .warning : .error, path, problem, .verifyDatabaseServer))
        }
        if parameters["password"] != nil {
            findings.append(finding("database-password-in-address", .error, path,
                "the address holds the role's password: it shows in shell history, the process list and unit files",
                .passwordFileInsteadOfAddress))
        }
        if databaseEnvironment["PGPASSWORD"] != nil {
            findings.append(finding("database-password-in-environment", .warning, "PGPASSWORD",
                "the database password is in the environment, readable in /proc/PID/environ by this user and root and inherited by child processes",
                .passwordFileInsteadOfEnvironment))
        }
        return findings
    }

    /// The hosts libpq connects to that are not this machine: each of `host` (and `hostaddr`),
    /// from the address, else PGHOST (PGHOSTADDR); none at all is the local Unix socket.
    static func remoteHosts(parameters: [String: String], environment: [String: String]) -> [String] {
        let hosts = (parameters["host"] ?? environment["PGHOST"]).map(Self.list) ?? []
        let addresses = (parameters["hostaddr"] ?? environment["PGHOSTADDR"]).map(Self.list) ?? []
        return (hosts + addresses).filter { !isLoopback($0) }
    }

    private static func list(_ value: String) -> [String] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
    }

    /// A Unix socket (a path, or an empty entry: the default socket), localhost, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        let host = host.trimmingPrefix("[").prefix { $0 != "]" }
        if host.isEmpty || host.hasPrefix("/") || host.hasPrefix("@") { return true }
        if host.lowercased() == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
