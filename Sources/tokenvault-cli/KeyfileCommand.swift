import ArgumentParser
import SystemPackage
import TokenVault

struct KeyfileCommand: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyfile",
        abstract: "List, add and remove the keys of a keyfile without a text editor.",
        discussion: """
            A keyfile holds one key a line: the first seals, every one opens. During a key rotation \
            every keyfile that opens the vault holds the new key first and the old key second \
            (README, "Key rotation"). add and remove replace the keyfile atomically (a 0600 temp \
            file in the same folder, fsync, rename, fsync of the folder) and keep it 0600; the keys \
            are written back one a line, each after a comment with its id, and other comments are \
            not kept. The keyfile must be a 0600 regular file of yours, not a symbolic link. Keys \
            come from another keyfile, never from the command line.
            """,
        subcommands: [ListKeys.self, AddKeys.self, RemoveKey.self]
    )

    static let examples = ListKeys.examples + AddKeys.examples + RemoveKey.examples

    static let exitStatuses = ListKeys.exitStatuses + AddKeys.exitStatuses + RemoveKey.exitStatuses

    /// What reading and replacing a keyfile can end in.
    static let editingKeyfile: [ExitStatus] = [.keyUnavailable, .insecurePermissions, .ioFailure]

    struct ListKeys: ParsableCommand, DocumentedCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Print a keyfile's key ids, one a line, the sealing key first.",
            discussion: "Each line is the key id (16 hex digits) and 'seals' for the first key, 'opens' for the others."
        )

        static let examples: [(purpose: String, command: String)] = [
            ("Show which key seals and which open:", "tokenvault keyfile list ~/.config/tokenvault/key"),
        ]

        static let exitStatuses: [ExitStatus] = KeyfileCommand.editingKeyfile

        @Argument(help: "The keyfile.")
        var file: String

        func run() throws {
            let keys = try KeyRing.load(keyfile: FilePath(file))
            Output.write(KeyfileCommand.listing(keys))
        }
    }

    struct AddKeys: ParsableCommand, DocumentedCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add the keys of another keyfile to a keyfile, first (they seal from now on) or last.",
            discussion: """
                Refuses a key the keyfile already holds (exit 16). Step 2 of a key rotation is \
                'tokenvault keyfile add KEYFILE --from new.key --first' for every keyfile that opens \
                the vault.
                """
        )

        static let examples: [(purpose: String, command: String)] = [
            ("Key rotation, step 2: the new key seals, the old one still opens:",
             "tokenvault keyfile add ~/.config/tokenvault/key --from new.key --first"),
        ]

        static let exitStatuses: [ExitStatus] = KeyfileCommand.editingKeyfile + [.alreadyExists]

        @Argument(help: "The keyfile to change.")
        var file: String

        @Option(name: .long, help: ArgumentHelp("The keyfile whose keys are added (e.g. one 'tokenvault keygen' wrote).", valueName: "file"))
        var from: String

        @Flag(name: .long, help: "Put the keys first, so that the first of them seals (the default).")
        var first = false

        @Flag(name: .long, help: "Put the keys last: they open the vault but do not seal it.")
        var last = false

        func validate() throws {
            if first && last { throw ValidationError("give --first or --last, not both") }
        }

        func run() throws {
            let added = try KeyRing.load(keyfile: FilePath(from))
            let keys = try KeyfileCommand.editing(file) {
                try KeyFile.adding(added, to: FilePath(file), at: last ? .last : .first)
            }
            let ids = added.ids.map(\.description).joined(separator: ", ")
            Reporter.note("added key id \(ids) \(last ? "last" : "first") in \(file)\(last ? "" : "; it seals from now on"); it holds \(keys.keys.count) keys:")
            Output.write(KeyfileCommand.listing(keys))
        }
    }

    struct RemoveKey: ParsableCommand, DocumentedCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Drop a key from a keyfile by its key id.",
            discussion: """
                Refuses to drop the last key (exit 64). Step 4 of a key rotation, once 'tokenvault \
                status' no longer says "an older key", is 'tokenvault keyfile remove KEYFILE OLD_KEY_ID' \
                for every keyfile that opens the vault. 'tokenvault keyfile list KEYFILE' shows the ids.
                """
        )

        static let examples: [(purpose: String, command: String)] = [
            ("Key rotation, step 4: drop the old key once every vault is re-sealed:",
             "tokenvault keyfile remove ~/.config/tokenvault/key OLD_KEY_ID"),
        ]

        static let exitStatuses: [ExitStatus] = KeyfileCommand.editingKeyfile

        @Argument(help: "The keyfile to change.")
        var file: String

        @Argument(help: "The id of the key to drop (16 hex digits, as 'tokenvault keyfile list' prints it).")
        var keyID: String

        func run() throws {
            let (removed, left) = try KeyfileCommand.editing(file) {
                try KeyFile.removing(keyID: keyID, from: FilePath(file))
            }
            Reporter.note("removed key id \(removed) from \(file); it holds \(left.keys.count) key\(left.keys.count == 1 ? "" : "s"):")
            Output.write(KeyfileCommand.listing(left))
        }
    }

    static func listing(_ keys: KeyRing) -> String {
        keys.ids.enumerated().map { "\($0.element) \($0.offset == 0 ? "seals" : "opens")\n" }.joined()
    }

    /// Runs an edit of `file`, saying what to do about a symbolic link in the keyfile's own terms.
    static func editing<Result>(_ file: String, _ edit: () throws -> Result) throws -> Result {
        do {
            return try edit()
        } catch KeyError.file(.insecure(let path, .symlink)) where path == file {
            throw CommandFailure(
                message: "\(file) is a symbolic link; an edit would replace the link, not the keyfile it points to",
                hint: "edit the keyfile itself: 'tokenvault keyfile … \"$(readlink -f \(file))\" …'",
                status: .insecurePermissions
            )
        }
    }
}
