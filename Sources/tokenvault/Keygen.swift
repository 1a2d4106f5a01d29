import ArgumentParser
import SystemPackage
import TokenVault

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new vault key to a file.",
        discussion: """
            Creates FILE with mode 0600 and one new random key in it (and its missing folders, \
            mode 0700). Refuses to overwrite an existing file. To rotate keys, put the new key's line first and the old key's line \
            second in the keyfile every process uses (see README, "Key rotation").
            """
    )

    @Option(name: .long, help: ArgumentHelp("Where to write the key.", valueName: "file"))
    var output: String

    func run() throws {
        let path = FilePath(output)
        let key = VaultKey.generate()
        try KeyFile.create(at: path, with: key)
        Reporter.note("wrote a new key (id \(key.id)) to \(output)")
    }
}

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

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the names of the vault's profiles, one a line.")

    @OptionGroup var options: VaultOptions

    func run() throws {
        let snapshot = try options.store().read()
        for name in snapshot.profiles.keys.sorted() {
            print(name)
        }
    }
}

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove a profile and its tokens from the vault.")

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
                throw VaultError.profileMissing(profile: profile, path: store.location.path.string)
            }
        }
        Reporter.note("removed profile '\(profile)' from \(store.location.path)")
    }
}
