import ArgumentParser
import TokenVault

struct Copy: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a vault between a file and PostgreSQL, either way: migration, backup and restore.",
        discussion: """
            Opens the vault at --from with the key (a damaged source is refused and nothing is \
            written), then replaces the vault at --to atomically: a file target with the file \
            store's atomic write, a PostgreSQL target with one compare-and-swap on its generation \
            (its tables are created when missing, as 'tokenvault init' does). Either side is a \
            vault file or a PostgreSQL address (README, "Running on several hosts"); a file to \
            a file and a PostgreSQL vault to another vault name work too. When the target does \
            not exist or is at an older generation, it receives the source's exact sealed bytes. \
            A target at the same or a newer generation is refused (exit 16), naming both \
            generations, unless --force: then the source's profiles are sealed as the generation \
            after the target's, so that no process that has read the target takes the copy for a \
            rollback, and every profile with a refresh token is marked as possibly spent \
            ('tokenvault status' shows possibly-spent until a refresh or login succeeds).
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Move a vault file into PostgreSQL (the password in ~/.pgpass, never in the address):",
         "tokenvault copy --from ~/.local/share/tokenvault/tokens.vault --to 'postgresql://tokenvault@db.internal/app?sslmode=verify-full'"),
        ("Back a PostgreSQL vault up into a file:",
         "tokenvault copy --from postgresql:service=tokenvault --to backup/tokens.vault"),
        ("Restore that backup over a newer vault (its refresh tokens may be spent):",
         "tokenvault copy --from backup/tokens.vault --to postgresql:service=tokenvault --force"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.writingVault + [.alreadyExists]

    @Option(name: .long, help: ArgumentHelp(
        "The vault to copy: a vault file, or a PostgreSQL address (postgresql://…, postgres://…, or postgresql: followed by libpq keywords; vault=NAME names the vault, default 'default').",
        valueName: "vault"
    ))
    var from: String

    @Option(name: .long, help: ArgumentHelp("The vault to replace or create, in the same forms as --from.", valueName: "vault"))
    var to: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A keyfile that opens the source. Comes before TOKENVAULT_KEY and TOKENVAULT_KEYFILE; without any of them, $XDG_CONFIG_HOME/tokenvault/key (~/.config/tokenvault/key) if it exists.",
            valueName: "path"
        )
    )
    var keyfile: String?

    @Flag(name: .long, help: "Replace a target at the same or a newer generation; its profiles with a refresh token are then marked as possibly spent.")
    var force = false

    @Flag(name: .long, help: "Also print what was copied as JSON on stdout (schema: README, \"--json of list, import, refresh and rotate-key\").")
    var json = false

    func validate() throws {
        if from.isEmpty || to.isEmpty { throw ValidationError("--from and --to each name a vault") }
    }

    func run() throws {
        let source = try VaultSelection(vault: from, keyfile: keyfile).store()
        let target = try VaultSelection(vault: to, keyfile: keyfile).configuration().store(keys: source.keys)
        if source.address == target.address {
            throw ValidationError("--from and --to name the same vault, \(source.address)")
        }
        let outcome = try target.copy(from: source, force: force)
        let replaced = outcome.replacedGeneration.map { "its generation \($0)" } ?? "no vault"
        if outcome.exactBytes {
            Reporter.note("copied \(source.address) (generation \(outcome.sourceGeneration)) to \(target.address), replacing \(replaced): the same sealed bytes")
        } else {
            Reporter.note("copied \(source.address) (generation \(outcome.sourceGeneration)) over \(target.address), replacing \(replaced), sealed as generation \(outcome.generation)")
            if !outcome.rolledBack.isEmpty {
                Reporter.warning("the refresh tokens of \(outcome.rolledBack.joined(separator: ", ")) may have been spent since the copy was taken; 'tokenvault status' shows them as possibly-spent until a refresh or 'tokenvault login' succeeds")
            }
        }
        if json {
            var out = JSONOutput()
            out.beginObject()
            out.field("schema", .integer(1))
            out.field("from", .string(source.address.description))
            out.field("to", .string(target.address.description))
            out.field("source_generation", .unsigned(outcome.sourceGeneration))
            out.field("replaced_generation", .unsigned(outcome.replacedGeneration))
            out.field("generation", .unsigned(outcome.generation))
            out.field("exact_bytes", .bool(outcome.exactBytes))
            out.beginArray("rolled_back")
            for name in outcome.rolledBack { out.element(.string(name)) }
            out.endArray()
            out.endObject()
            print(out.text)
        }
    }
}
