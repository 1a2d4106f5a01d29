import ArgumentParser
import SystemPackage
import TokenVault

struct Init: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an empty vault.",
        discussion: "Creates the vault (and its folder, mode 0700) sealed with the first key. Refuses to replace an existing vault."
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Create the vault in the default place:", "tokenvault init"),
        ("Create a vault somewhere else:", "tokenvault init --vault /srv/app/tokens.vault"),
    ]

    static let exitStatuses: [ExitStatus] = [.keyUnavailable, .insecurePermissions, .alreadyExists, .ioFailure, .busy]

    @OptionGroup var options: VaultOptions

    func run() throws {
        let store = try options.store()
        do {
            try store.create()
        } catch {
            guard case .file(.alreadyExists(let path)) = error, case .vault = VaultProbe.look(at: FilePath(path)) else { throw error }
            // Removing a vault loses every profile's tokens: never the advice for one.
            let vault = options.vault.map { " --vault \(ShellWord.quoted($0))" } ?? ""
            throw CommandFailure(
                message: "\(path) is already a vault; refusing to overwrite it",
                hint: "see what it holds with 'tokenvault status\(vault)'; keep it, or keep a backup of it before anything replaces it (README, \"Backup\")",
                status: .alreadyExists
            )
        }
        Reporter.note("created an empty vault at \(store.address) sealed with key id \(store.keys.sealingKey.id)")
    }
}
