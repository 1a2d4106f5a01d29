import Foundation
import Testing

/// Every vault command run as a process on a PostgreSQL vault (scripts/pg-cluster).
@Suite("commands on a PostgreSQL vault")
struct PostgresCommandTests {
    /// A sandbox whose TOKENVAULT_PATH is a fresh vault name in the shared cluster.
    struct Setup {
        let sandbox: Sandbox
        let cluster: PostgresTestDatabase
        let address: String

        init(role: PostgresServer.Role = .owner, database: PostgresTestDatabase? = nil) throws {
            sandbox = try Sandbox(initialised: false)
            cluster = try database ?? PostgresTestDatabase()
            address = cluster.address(vault: cluster.vaultName("cmd"), role: role)
        }

        var environment: [String: String?] {
            var environment: [String: String?] = cluster.environment.mapValues { $0 }
            environment["TOKENVAULT_PATH"] = address
            return environment
        }

        @discardableResult
        func run(_ arguments: [String], stdin: String? = nil, extra: [String: String?] = [:], secretOnStdout: Bool = false) throws -> RunResult {
            try sandbox.run(arguments, stdin: stdin, environment: environment.merging(extra) { $1 }, secretOnStdout: secretOnStdout)
        }
    }

    @Test("init, import, list, status, token, exec, set, refresh, rotate-key, remove and audit work on a PostgreSQL vault")
    func everyCommand() throws {
        let setup = try Setup()
        #expect(try setup.run(["init"]).status == 0)
        let again = try setup.run(["init"])
        #expect(again.status == 16)
        #expect(again.stderr.contains("vault=NAME"), "\(again.stderr)")
        let tokens = #"{"access_token":"\#(secretMarker)-pg-at","refresh_token":"\#(secretMarker)-pg-rt","expires_in":3600}"#
        let imported = try setup.run(["import", "p1", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"], stdin: tokens)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try setup.run(["list"]).stdout == "p1\n")
        let status = try setup.run(["status"])
        #expect(status.stdout.contains("vault \(setup.address)  generation 2"), "\(status.stdout)")
        #expect(try setup.run(["token", "p1"], secretOnStdout: true).stdout == "\(secretMarker)-pg-at\n")
        let exec = try setup.run(["exec", "p1", "--", "/bin/sh", "-c", "test \"$MCP_ACCESS_TOKEN\" = \(secretMarker)-pg-at"])
        #expect(exec.status == 0, "\(exec.stderr)")
        #expect(try setup.run(["set", "p1", "--refresh-lifetime", "30d"]).status == 0)
        let refresh = try setup.run(["refresh", "p1"])
        #expect(refresh.status == 0 && refresh.stderr.contains("still fresh"), "\(refresh.stderr)")
        let newKey = setup.sandbox.directory.file("new.key")
        try setup.sandbox.expectSuccess(["keygen", "--output", newKey])
        #expect(try setup.run(["rotate-key", "--new-keyfile", newKey]).status == 0)
        #expect(try setup.run(["list"]).status == 11)
        #expect(try setup.run(["list"], extra: ["TOKENVAULT_KEYFILE": newKey]).stdout == "p1\n")
        #expect(try setup.run(["remove", "p1"], extra: ["TOKENVAULT_KEYFILE": newKey]).status == 0)
        #expect(try setup.run(["list"], extra: ["TOKENVAULT_KEYFILE": newKey]).stdout == "")
        let audit = try setup.run(["audit", "--json"], extra: ["TOKENVAULT_KEYFILE": newKey])
        #expect(audit.status == 0, "\(audit.stdout)")
    }

    @Test("token and refresh on a PostgreSQL vault refresh at the real token endpoint once, and the row holds the new tokens sealed")
    func refreshAtServer() throws {
        let server = try OAuthServer()
        let setup = try Setup()
        #expect(try setup.run(["init"]).status == 0)
        let seeded = try server.seed(accessLifetime: -5)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: seeded), as: UTF8.self)
        let imported = try setup.run(["import", "live", "--token-endpoint", server.tokenEndpoint, "--client-id", "tokenvault-test",
                                      "--resource", server.resource], stdin: json)
        #expect(imported.status == 0, "\(imported.stderr)")
        let result = try setup.run(["token", "live"], secretOnStdout: true)
        #expect(result.status == 0, "\(result.stderr)")
        let token = result.stdout.trimmingCharacters(in: .newlines)
        #expect(token != seeded["access_token"] as? String)
        #expect(try server.resourceAccepts(token))
        let again = try setup.run(["token", "live"], secretOnStdout: true)
        #expect(again.stdout == result.stdout)
        #expect(try server.stats()["refresh_grants_ok"] as? Int == 1)
        let forced = try setup.run(["refresh", "live", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try server.stats()["refresh_grants_ok"] as? Int == 2)
        let name = setup.address.components(separatedBy: "vault=").last!
        let row = try setup.cluster.psql("SELECT encode(sealed, 'escape') FROM tokenvault_vaults WHERE name = '\(name)'")
        #expect(!row.contains(token) && !row.isEmpty)
        let leases = try setup.cluster.psql("SELECT count(*) FROM tokenvault_leases WHERE vault = '\(name)'")
        #expect(leases.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test("an app role without CREATE runs init once the tables exist")
    func initWithoutCreate() throws {
        let owner = try Setup()
        #expect(try owner.run(["init"]).status == 0)
        try owner.cluster.psql("""
            GRANT SELECT, INSERT, UPDATE ON tokenvault_vaults TO tokenvault_app;
            GRANT SELECT, INSERT, UPDATE, DELETE ON tokenvault_leases TO tokenvault_app;
            """)
        let app = try Setup(role: .app, database: owner.cluster)
        let result = try app.run(["init"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    struct AuditCase: CustomTestStringConvertible, Sendable {
        let address: String
        let environment: [String: String]
        let check: String?
        var testDescription: String { "\(address) \(environment.keys.sorted()) → \(check ?? "nothing")" }
    }

    static let auditCases: [AuditCase] = [
        AuditCase(address: "postgresql://app@db.example.com/app", environment: [:], check: "database-tls"),
        AuditCase(address: "postgresql://app@db.example.com/app?sslmode=require", environment: [:], check: "database-tls"),
        AuditCase(address: "postgresql://app@db.example.com/app?sslmode=verify-full", environment: [:], check: nil),
        AuditCase(address: "postgresql:host=db.example.com dbname=app", environment: ["PGSSLMODE": "verify-full"], check: nil),
        AuditCase(address: "postgresql://app@localhost,db2.example.com/app?sslmode=prefer", environment: [:], check: "database-tls"),
        AuditCase(address: "postgresql://app@127.0.0.1:5432,[::1]/app", environment: [:], check: nil),
        AuditCase(address: "postgresql:host=/run/postgresql dbname=app", environment: [:], check: nil),
        AuditCase(address: "postgresql:dbname=app", environment: ["PGHOST": "db.example.com"], check: "database-tls"),
        AuditCase(address: "postgresql://app:\(secretMarker)pw@localhost/app", environment: [:], check: "database-password-in-address"),
        AuditCase(address: "postgresql:host=localhost password=\(secretMarker)pw", environment: [:], check: "database-password-in-address"),
        AuditCase(address: "postgresql://app@localhost/app", environment: ["PGPASSWORD": "\(secretMarker)pw"], check: "database-password-in-environment"),
    ]

    /// The address checks need no database: the server is never asked (no key is given).
    @Test("audit of a PostgreSQL address reports weak TLS to a remote host and a password in the address or environment", arguments: auditCases)
    func auditAddress(_ item: AuditCase) throws {
        let sandbox = try Sandbox(initialised: false)
        var environment: [String: String?] = item.environment.mapValues { $0 }
        environment["TOKENVAULT_PATH"] = item.address
        environment["TOKENVAULT_KEYFILE"] = nil
        environment["HOME"] = sandbox.directory.file("home")
        let result = try sandbox.run(["audit", "--json"], environment: environment)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let checks = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["check"] as? String }
        let databaseChecks = checks.filter { $0.hasPrefix("database-") }
        #expect(databaseChecks == (item.check.map { [$0] } ?? []), "\(result.stdout)")
        #expect(!result.stdout.contains("postgresql:/app") && !checks.contains("vault-missing") && !checks.contains("folder-open"))
        if item.check != nil { #expect(result.status == 31) }
    }

    @Test("audit checks that the key opens a PostgreSQL vault")
    func auditKey() throws {
        let setup = try Setup()
        #expect(try setup.run(["init"]).status == 0)
        let other = setup.sandbox.directory.file("other.key")
        try setup.sandbox.expectSuccess(["keygen", "--output", other])
        let wrong = try setup.run(["audit"], extra: ["TOKENVAULT_KEYFILE": other])
        #expect(wrong.status == 31)
        #expect(wrong.stdout.contains("error: \(setup.address): the key at hand does not open the vault"), "\(wrong.stdout)")
        let missing = try Setup()
        let none = try missing.run(["audit"])
        #expect(none.status == 31)
        #expect(none.stdout.contains("error: \(missing.address): there is no vault"), "\(none.stdout)")
    }
}
