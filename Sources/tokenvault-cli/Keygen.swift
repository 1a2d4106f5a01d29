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
