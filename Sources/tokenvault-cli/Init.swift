import ArgumentParser
import SystemPackage
import TokenVault

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an empty vault.",
        discussion: "Creates the vault (and its folder, mode 0700) sealed with the first key. Refuses to replace an existing vault."
    )

    @OptionGroup var options: VaultOptions

    func run() throws {
        let store = try options.store()
        try store.create()
        Reporter.note("created an empty vault at \(store.location.path) sealed with key id \(store.keys.sealingKey.id)")
    }
}
