import ArgumentParser
import SystemPackage
import TokenVault

struct RotateKey: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key",
        abstract: "Re-seal the vault under a new key.",
        discussion: """
            Re-seals the vault under the first key of FILE (make one with 'tokenvault keygen'), \
            atomically and under the writer lock, after checking that the new bytes open with the \
            new key and hold the same profiles. The vault is opened with the current keys \
            (--keyfile, TOKENVAULT_KEY, TOKENVAULT_KEYFILE or the default keyfile) or any key of \
            FILE. Afterwards the old key no longer opens it. For processes that share the vault, put the new key first \
            and the old one second in every keyfile before rotating, and drop the old key after \
            (README, "Key rotation").
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Key rotation (README, \"Key rotation\"): a new key, first in the keyfile, then re-seal:",
         "tokenvault keygen --output new.key && tokenvault keyfile add ~/.config/tokenvault/key --from new.key --first && tokenvault rotate-key --new-keyfile new.key"),
        ("Report the key ids as JSON:", "tokenvault rotate-key --new-keyfile new.key --json"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.writingVault

    @OptionGroup var options: VaultOptions

    @Option(name: .long, help: ArgumentHelp("The keyfile whose first key seals the vault from now on.", valueName: "file"))
    var newKeyfile: String

    @Flag(name: .long, help: "Also print the key ids as JSON on stdout (schema: README, \"--json of list, import, refresh and rotate-key\").")
    var json = false

    func run() throws {
        let newKeys = try KeyRing.load(keyfile: FilePath(newKeyfile))
        let configuration = try options.selection.configuration()
        // With no current key set, the vault must open with a key of FILE.
        let currentKeys = configuration.keySource == nil ? newKeys : try options.loadKeys()
        let store = configuration.store(keys: currentKeys)
        let previous = try store.rotate(to: newKeys)
        let target = newKeys.sealingKey.id
        if previous == target {
            Reporter.note("re-sealed \(store.address) under key id \(target) (it was already sealed with it)")
        } else {
            Reporter.note("re-sealed \(store.address): key id \(previous) → \(target); the old key no longer opens it")
            Reporter.note("next: make \(newKeyfile)'s key the only one in every keyfile that opens this vault")
        }
        if json {
            // Key ids only (status shows them too): an id names a key, it does not reveal it.
            var out = JSONOutput()
            out.beginObject()
            out.field("schema", .integer(1))
            out.field("vault", .string(store.address.description))
            out.field("previous_key_id", .string(previous.description))
            out.field("key_id", .string(target.description))
            out.field("changed", .bool(previous != target))
            out.endObject()
            print(out.text)
        }
    }
}
