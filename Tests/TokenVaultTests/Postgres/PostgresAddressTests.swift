import Testing
@testable import TokenVault

/// `--vault postgresql:…`: what libpq gets, which vault row, and what messages show.
@Suite("PostgreSQL addresses")
struct PostgresAddressTests {
    @Test("a URI goes to libpq without TokenVault's vault parameter, and is shown without its password", arguments: [
        ("postgresql://app:s3cret@db.example:5433/app?sslmode=verify-full&vault=fleet",
         "postgresql://app:s3cret@db.example:5433/app?sslmode=verify-full", "fleet",
         "postgresql://app@db.example:5433/app?sslmode=verify-full&vault=fleet"),
        ("postgres://db.example/app", "postgres://db.example/app", "default", "postgres://db.example/app"),
        ("postgresql://app@db/app?vault=default&password=hunter2&connect_timeout=3",
         "postgresql://app@db/app?password=hunter2&connect_timeout=3", "default",
         "postgresql://app@db/app?connect_timeout=3"),
        ("postgresql:///app?host=/run/postgresql", "postgresql:///app?host=/run/postgresql", "default",
         "postgresql:///app?host=/run/postgresql"),
        ("postgresql://u:p:q@h1:5432,h2:5432/app", "postgresql://u:p:q@h1:5432,h2:5432/app", "default", "postgresql://u@h1:5432,h2:5432/app"),
    ])
    func uri(_ given: String, _ connection: String, _ vault: String, _ shown: String) throws {
        let address = try PostgresAddress(given)
        #expect(address.connectionString == connection)
        #expect(address.vaultName == vault)
        #expect(address.description == shown)
        #expect(!address.description.contains("s3cret") && !address.description.contains("hunter2"))
    }

    @Test("a keyword string goes to libpq re-quoted, without vault=, and is shown without its password", arguments: [
        ("postgresql:host=db dbname=app vault=readonly", "host=db dbname=app", "readonly", "postgresql:host=db dbname=app vault=readonly"),
        ("postgresql:host=db password='a b\\'c' sslmode=verify-full", "host=db password='a b\\'c' sslmode=verify-full", "default",
         "postgresql:host=db sslmode=verify-full"),
        ("postgresql:", "", "default", "postgresql:"),
        ("postgresql:service=tokens", "service=tokens", "default", "postgresql:service=tokens"),
    ])
    func keywords(_ given: String, _ connection: String, _ vault: String, _ shown: String) throws {
        let address = try PostgresAddress(given)
        #expect(address.connectionString == connection)
        #expect(address.vaultName == vault)
        #expect(address.description == shown)
    }

    @Test("a vault name outside the profile-name rule, or an unreadable keyword string, is refused without echoing a password", arguments: [
        "postgresql://app:s3cret@db/app?vault=../x", "postgresql://app:s3cret@db/app?vault=", "postgresql:host=db password=s3cret vault=.hidden",
        "postgresql:host=db password='s3cret", "postgresql:host db",
        // 'it''s' is not libpq's quoting (\' is): the value ends at the second quote, and a
        // stray "s'" follows without '='.
        "postgresql: host = db  password='s3cret''s' dbname=app",
    ])
    func refused(_ given: String) {
        #expect {
            try PostgresAddress(given)
        } throws: { error in
            !"\(error)".contains("s3cret")
        }
    }

    @Test("only postgresql: and postgres:// name a database; anything else is a path", arguments: [
        ("postgresql://db/app", true), ("postgresql:host=db", true), ("postgres://db/app", true),
        ("postgres:db", false), ("./postgresql://x", false), ("/var/lib/tokenvault/tokens.vault", false), ("pg.vault", false),
    ])
    func isAddress(_ given: String, _ database: Bool) {
        #expect(PostgresAddress.isAddress(given) == database)
    }

    @Test("a failed connection is told apart: refused as configured, or unreachable for now", arguments: [
        ("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication failed for user \"app\"", false),
        ("connection to server at \"db\" failed: FATAL:  database \"nope\" does not exist", false),
        ("connection to server at \"127.0.0.1\", port 1 failed: Connection refused", true),
        ("connection to server at \"db\" failed: FATAL:  the database system is starting up", true),
        ("connection to server at \"db\" failed: timeout expired", true),
        ("connection to server at \"db\" failed: server does not support SSL, but SSL was required", false),
    ])
    func connecting(_ message: String, _ passing: Bool) {
        if passing {
            #expect(DatabaseFailure.connecting(message) == .unavailable(message))
        } else {
            #expect(DatabaseFailure.connecting(message) == .refused(message))
        }
    }

    @Test("a refused statement is told apart by its SQLSTATE", arguments: [
        ("57P01", "unavailable"), ("08006", "unavailable"), ("40001", "unavailable"), ("55P03", "unavailable"), ("57014", "unavailable"),
        ("42501", "refused"), ("28P01", "refused"), ("42P01", "notInitialized"), ("22P02", "refused"),
    ])
    func statement(_ state: String, _ kind: String) {
        let failure = DatabaseFailure.statement("m", state: state)
        switch failure {
        case .unavailable: #expect(kind == "unavailable")
        case .refused: #expect(kind == "refused")
        case .notInitialized: #expect(kind == "notInitialized")
        case .noLibrary: Issue.record("no SQLSTATE means a missing library")
        }
    }
}
