import Foundation
import Testing

/// `tokenvault copy` between vault files and PostgreSQL vaults, run as a process against a real
/// PostgreSQL (scripts/pg-cluster).
@Suite("copy")
struct CopyCommandTests {
    /// A sandbox (its key and an initialised vault file) and a PostgreSQL vault name of its own.
    struct Setup {
        let sandbox: Sandbox
        let cluster: PostgresTestDatabase
        let address: String

        init(fileProfiles: [String] = ["alpha"], database: PostgresTestDatabase? = nil) throws {
            sandbox = try Sandbox()
            cluster = try database ?? PostgresTestDatabase()
            address = cluster.address(vault: cluster.vaultName("copy"))
            for name in fileProfiles { try sandbox.importProfile(name) }
        }

        /// The environment for commands on the PostgreSQL vault (TOKENVAULT_PATH is the address).
        var database: [String: String?] {
            var environment: [String: String?] = cluster.environment.mapValues { $0 }
            environment["TOKENVAULT_PATH"] = address
            return environment
        }

        @discardableResult
        func copy(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
            try sandbox.run(["copy"] + arguments, environment: cluster.environment.mapValues { $0 }, sourceLocation: sourceLocation)
        }

        func generation(_ vault: String) throws -> UInt64? {
            var environment: [String: String?] = cluster.environment.mapValues { $0 }
            environment["TOKENVAULT_PATH"] = vault
            let status = try sandbox.expectSuccess(["status", "--json"], environment: environment)
            let decoded = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            return (decoded?["generation"] as? NSNumber)?.uint64Value
        }

        /// The row's sealed bytes, as SECURITY.md's psql command extracts them.
        func rowBytes() throws -> Data {
            let name = address.components(separatedBy: "vault=").last!
            let hex = try cluster.psql("SELECT encode(sealed, 'hex') FROM tokenvault_vaults WHERE name = '\(name)'")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            var bytes = Data()
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                bytes.append(UInt8(hex[index..<next], radix: 16)!)
                index = next
            }
            return bytes
        }
    }

    @Test("a vault file copied into PostgreSQL is the row byte for byte, and copied back it is the file again")
    func fileToDatabaseAndBack() throws {
        let setup = try Setup()
        let result = try setup.copy(["--from", setup.sandbox.vault, "--to", setup.address, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let file = try Data(contentsOf: URL(fileURLWithPath: setup.sandbox.vault))
        #expect(try setup.rowBytes() == file)
        #expect(result.stderr.contains("copied \(setup.sandbox.vault) (generation 2) to \(setup.address), replacing no vault"))
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(report["exact_bytes"] as? Bool == true)
        #expect(report["generation"] as? Int == 2)
        let list = try setup.sandbox.expectSuccess(["list"], environment: setup.database)
        #expect(list.stdout == "alpha\n")

        try setup.sandbox.importProfile("beta")  // the file moves on to generation 3, then back
        try setup.sandbox.expectSuccess(["import", "gamma", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"],
                                        stdin: #"{"access_token":"\#(secretMarker)-g","refresh_token":"\#(secretMarker)-rg","expires_in":60}"#,
                                        environment: setup.database)
        try setup.sandbox.importProfile("delta")
        let back = setup.sandbox.directory.file("restored/tokens.vault")
        let restored = try setup.copy(["--from", setup.address, "--to", back])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: back)) == setup.rowBytes())
        #expect(setup.sandbox.mode(of: back) == 0o600)
    }

    @Test("a target at the same or a newer generation is refused with both generations, and left as it was")
    func refusesNewerTarget() throws {
        let setup = try Setup()
        try setup.copy(["--from", setup.sandbox.vault, "--to", setup.address])
        let same = try setup.copy(["--from", setup.sandbox.vault, "--to", setup.address])
        #expect(same.status == 16)
        #expect(same.stderr.contains("\(setup.address) is at generation 2, the same generation as \(setup.sandbox.vault) (generation 2)"), "\(same.stderr)")
        try setup.sandbox.expectSuccess(["remove", "alpha"], environment: setup.database)
        let before = try setup.rowBytes()
        let newer = try setup.copy(["--from", setup.sandbox.vault, "--to", setup.address])
        #expect(newer.status == 16)
        #expect(newer.stderr.contains("is at generation 3, a newer generation than \(setup.sandbox.vault) (generation 2)"), "\(newer.stderr)")
        #expect(newer.stderr.contains("--force"))
        #expect(try setup.rowBytes() == before)
    }

    @Test("--force onto a newer target seals the source as the target's next generation and marks refresh tokens possibly spent")
    func forceOntoNewer() throws {
        let setup = try Setup()
        try setup.copy(["--from", setup.sandbox.vault, "--to", setup.address])
        for _ in 0..<2 { try setup.sandbox.expectSuccess(["set", "alpha", "--refresh-lifetime", "\(Int.random(in: 2...90))d"], environment: setup.database) }
        let target = try #require(try setup.generation(setup.address))
        let forced = try setup.copy(["--from", setup.sandbox.vault, "--to", setup.address, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try setup.generation(setup.address) == target + 1)
        #expect(forced.stderr.contains("replacing its generation \(target), sealed as generation \(target + 1)"), "\(forced.stderr)")
        #expect(forced.stderr.contains("the refresh tokens of alpha may have been spent"))
        let status = try setup.sandbox.run(["status", "--check"], environment: setup.database)
        #expect(status.stdout.contains("possibly-spent"), "\(status.stdout)")
        #expect(status.status == 30)
    }

    @Test("a damaged source is refused and nothing is written to the target")
    func damagedSource() throws {
        let setup = try Setup()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: setup.sandbox.vault))
        try handle.seek(toOffset: 100)
        let byte = try handle.read(upToCount: 1)!
        try handle.seek(toOffset: 100)
        handle.write(Data([byte[0] ^ 0x01]))
        try handle.close()
        let result = try setup.copy(["--from", setup.sandbox.vault, "--to", setup.address])
        #expect(result.status == 12)
        #expect(result.stderr.contains("tampered"), "\(result.stderr)")
        let status = try setup.sandbox.run(["status"], environment: setup.database)
        #expect(status.status == 15, "\(status.stderr)")
    }

    @Test("a vault file copies to another file, and a PostgreSQL vault to another vault name")
    func sameKindCopies() throws {
        let setup = try Setup()
        let other = setup.sandbox.directory.file("other/tokens.vault")
        #expect(try setup.copy(["--from", setup.sandbox.vault, "--to", other]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == Data(contentsOf: URL(fileURLWithPath: setup.sandbox.vault)))
        try setup.copy(["--from", other, "--to", setup.address])
        let second = setup.cluster.address(vault: setup.cluster.vaultName("second"))
        let result = try setup.copy(["--from", setup.address, "--to", second])
        #expect(result.status == 0, "\(result.stderr)")
        let list = try setup.sandbox.expectSuccess(["list", "--vault", second], environment: setup.cluster.environment.mapValues { $0 })
        #expect(list.stdout == "alpha\n")
        let itself = try setup.copy(["--from", setup.address, "--to", setup.address])
        #expect(itself.status == 64)
    }

    @Test("the independent reader opens the row's blob extracted with SECURITY.md's psql command")
    func independentReaderOpensRow() throws {
        let setup = try Setup()
        try setup.copy(["--from", setup.sandbox.vault, "--to", setup.address])
        let name = setup.address.components(separatedBy: "vault=").last!
        let blob = setup.sandbox.directory.file("row.vault")
        // The command SECURITY.md ("PostgreSQL vaults") shows, with this test's address and name.
        let command = "psql \"$0\" -XAt -c \"SELECT encode(sealed, 'base64') FROM tokenvault_vaults WHERE name = '\(name)'\" | base64 -d > \"$1\""
        var environment = setup.cluster.environment
        environment["PATH"] = setup.cluster.bindir + ":/usr/bin:/bin"
        let extracted = try runProcess("/bin/sh", ["-c", command, setup.cluster.databaseAddress, blob], environment: environment)
        #expect(extracted.status == 0, "\(extracted.stderr)")
        let opened = try InteropReader.open(blob, keyfile: setup.sandbox.keyfile)
        #expect(opened.status == 0, "open_vault.py failed: \(opened.stderr)")
        let profiles = try InteropReader.profiles(try InteropReader.payload(opened))
        #expect(Array(profiles.keys) == ["alpha"])
    }
}
