import ArgumentParser
import SystemPackage
import TokenVault

struct Remove: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(abstract: "Remove a profile and its tokens from the vault.")

    static let examples: [(purpose: String, command: String)] = [
        ("Remove a profile:", "tokenvault remove admin"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.writingVault

    @OptionGroup var options: VaultOptions

    @Argument(help: "The profile to remove.")
    var profile: String

    func validate() throws {
        try ProfileArgument.validate(profile)
    }

    func run() throws {
        let store = try options.store()
        try store.update { profiles, _ in
            guard profiles.removeValue(forKey: profile) != nil else {
                throw VaultError.profileMissing(profile: profile, path: store.address.description, profiles: profiles.keys.sorted())
            }
        }
        Reporter.note("removed profile '\(profile)' from \(store.address)")
    }
}
