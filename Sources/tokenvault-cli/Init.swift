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
        try store.create()
        Reporter.note("created an empty vault at \(store.location.path) sealed with key id \(store.keys.sealingKey.id)")
    }
}
