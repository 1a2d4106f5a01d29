import ArgumentParser
import SystemPackage
import TokenVault

struct List: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(abstract: "Print the names of the vault's profiles, one a line.")

    static let examples: [(purpose: String, command: String)] = [
        ("Print the profile names:", "tokenvault list"),
        ("The same as JSON:", "tokenvault list --json"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.openingVault

    @OptionGroup var options: VaultOptions

    @Flag(name: .long, help: "Print JSON instead of one name a line (schema: README, \"--json of list, import, refresh and rotate-key\").")
    var json = false

    func run() throws {
        let store = try options.store()
        let names = try store.read().profiles.keys.sorted()
        guard json else {
            for name in names { print(name) }
            return
        }
        var out = JSONOutput()
        out.beginObject()
        out.field("schema", .integer(1))
        out.field("vault", .string(store.address.description))
        out.beginArray("profiles")
        for name in names { out.element(.string(name)) }
        out.endArray()
        out.endObject()
        print(out.text)
    }
}
