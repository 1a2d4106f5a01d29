import ArgumentParser
import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

struct Audit: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the vault, its folder, lock files and keyfiles for unsafe permissions and leftovers.",
        discussion: """
            Checks that the vault is a regular 0600 file owned by you and not a symlink; that its \
            folder is not writable (or readable) by others; the lock files; each keyfile (owner, \
            0600 or 0400, not beside the vault); TOKENVAULT_KEY in the environment; old plaintext \
            token files (.mcp_tokens_*.json) near the vault, in the current folder and in HOME, and \
            MCP Inspector's oauth.json; stray temp files; and whether the vault or a keyfile is \
            tracked by git or not ignored. Each finding has a severity, the path, what is wrong and \
            the exact fix. --fix repairs errors that have a safe fix (file modes, the mode of a folder \
            that holds only the vault's files); --fix-warnings repairs warnings too (a folder others \
            can list, stray temp files); plaintext token files are deleted only with \
            --remove-plaintext. A sticky folder, someone else's folder, HOME or a folder shared \
            with other files is never chmodded: the fix is to move the vault into a folder of its \
            own. For a PostgreSQL vault the file checks give way to the database's: an sslmode \
            weaker than verify-full to a host that is not this machine (the address's hosts, or \
            PGHOST and PGSSLMODE), a password in the address or in PGPASSWORD; the keyfile and key \
            checks stay. Exits 0 when nothing is left to fix, 31 otherwise.
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Check, and gate CI on the result:", "tokenvault audit"),
        ("Repair what has a safe fix, warnings included:", "tokenvault audit --fix --fix-warnings"),
        ("Findings as JSON:", "tokenvault audit --json | jq '.findings[] | select(.fixed | not)'"),
    ]

    static let exitStatuses: [ExitStatus] = [.auditFindings]

    @OptionGroup var options: VaultOptions

    @Flag(name: .long, help: "Repair the errors that have a safe fix: file modes, and the mode of a folder that holds only the vault's files.")
    var fix = false

    @Flag(name: .long, help: "With --fix: repair warnings as well (a folder others can list, stray temp files).")
    var fixWarnings = false

    @Flag(name: .long, help: "With --fix: also overwrite and delete plaintext token files.")
    var removePlaintext = false

    @Flag(name: .long, help: "Print JSON (a stable, documented schema) instead of text.")
    var json = false

    func validate() throws {
        if removePlaintext && !fix { throw ValidationError("--remove-plaintext goes with --fix") }
        if fixWarnings && !fix { throw ValidationError("--fix-warnings goes with --fix") }
    }

    func run() throws {
        var keyfiles: [FilePath] = []
        if let path = getenv(KeySource.keyfileVariable).map({ String(cString: $0) }), !path.isEmpty { keyfiles.append(FilePath(path)) }
        if let keyfile = options.keyfile { keyfiles.append(FilePath(keyfile)) }
        if case .keyfile(let path, let origin) = KeySource.resolve(explicitKeyfile: options.keyfile).source, origin == KeySource.defaultKeyfileOrigin {
            keyfiles.append(path)
        }
        var search: [FilePath] = []
        if let home = getenv("HOME").map({ String(cString: $0) }) { search.append(FilePath(home)) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        if getcwd(&buffer, buffer.count) != nil {
            search.append(FilePath(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        let address = try options.selection.configuration().address
        let auditor = Auditor(
            address: address, keyfiles: keyfiles,
            keyInEnvironment: getenv(KeySource.keyVariable).map { $0.pointee != 0 } ?? false,
            searchFolders: search, home: getenv("HOME").map { FilePath(String(cString: $0)) },
            key: try auditKey(), clientStores: Self.clientStores(), databaseEnvironment: Self.databaseEnvironment(),
            logger: CommandLogging.logger
        )
        var findings = auditor.run()
        if fix { findings = auditor.apply(findings, removePlaintext: removePlaintext, fixWarnings: fixWarnings) }
        let open = findings.filter { !$0.fixed }
        if json {
            print(Self.json(findings, vault: address, clean: open.isEmpty))
        } else {
            print(Self.text(findings, vault: address), terminator: "")
        }
        if !open.isEmpty { throw ExitCode(ExitStatus.auditFindings.rawValue) }
    }

    /// The key at hand, from the usual sources (without their shadowing warnings: audit reports).
    private func auditKey() throws -> AuditKey {
        let configuration = try options.selection.configuration()
        do {
            return .loaded(try configuration.loadKeys())
        } catch KeyError.noKey {
            return .notGiven
        } catch {
            return .unusable(error)
        }
    }

    /// The PG* variables the database checks read. PGPASSWORD is a secret: only whether it is
    /// set is recorded (an empty value), never its text.
    static func databaseEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        for name in ["PGHOST", "PGHOSTADDR", "PGSSLMODE"] {
            if let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty { environment[name] = value }
        }
        if let password = getenv("PGPASSWORD"), password.pointee != 0 { environment["PGPASSWORD"] = "" }
        return environment
    }

    /// Where each MCP client keeps its token store, with the client's own overrides.
    static func clientStores() -> [(client: MCPClient, path: FilePath)] {
        let variable: (String) -> String? = { name in getenv(name).map { String(cString: $0) } }
        let home = HomeDirectory.current(variable: variable)
        return MCPClient.allCases.compactMap { client in client.defaultStore(variable: variable, home: home).map { (client, $0) } }
    }

    static func text(_ findings: [AuditFinding], vault: VaultAddress) -> String {
        guard !findings.isEmpty else { return "audit of \(vault): nothing found\n" }
        var out = ""
        for finding in findings {
            out += "\(finding.severity.rawValue): \(finding.path): \(finding.problem)\(finding.fixed ? " [fixed]" : "")\n"
            if let note = finding.note { out += "  not fixed: \(note)\n" }
            if !finding.fixed { out += "  fix: \(finding.fix.text)\n" }
        }
        let open = findings.filter { !$0.fixed }.count
        out += "audit of \(vault): \(findings.count) finding\(findings.count == 1 ? "" : "s"), \(open) left to fix\n"
        return out
    }

    static func json(_ findings: [AuditFinding], vault: VaultAddress, clean: Bool) -> String {
        var out = JSONOutput()
        out.beginObject()
        out.field("schema", .integer(1))
        out.field("vault", .string(vault.description))
        out.field("clean", .bool(clean))
        out.beginArray("findings")
        for finding in findings {
            out.beginObject()
            out.field("check", .string(finding.check))
            out.field("severity", .string(finding.severity.rawValue))
            out.field("path", .string(finding.path))
            out.field("problem", .string(finding.problem))
            out.field("fix", .string(finding.fix.text))
            out.field("fixed", .bool(finding.fixed))
            if let note = finding.note { out.field("note", .string(note)) }
            out.endObject()
        }
        out.endArray()
        out.endObject()
        return out.text
    }
}
