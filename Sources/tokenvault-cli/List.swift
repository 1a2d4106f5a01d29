import ArgumentParser
import SystemPackage
import TokenVault

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
