import ArgumentParser
import SystemPackage
import TokenVault

struct RotateKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key",
        abstract: "Re-seal the vault under a new key.",
        discussion: """
            Re-seals the vault under the first key of FILE (make one with 'tokenvault keygen'), \
            atomically and under the writer lock, after checking that the new bytes open with the \
            new key and hold the same profiles. The vault is opened with the current keys \
            (TOKENVAULT_KEY, TOKENVAULT_KEYFILE or --keyfile) or any key of FILE. Afterwards the \
            old key no longer opens it. For processes that share the vault, put the new key first \
            and the old one second in every keyfile before rotating, and drop the old key after \
            (README, "Key rotation").
            """
    )

    @OptionGroup var options: VaultOptions

    @Option(name: .long, help: ArgumentHelp("The keyfile whose first key seals the vault from now on.", valueName: "file"))
    var newKeyfile: String

    func run() throws {
        let newKeys = try KeyRing.load(keyfile: FilePath(newKeyfile))
        let currentKeys: KeyRing
        do {
            currentKeys = try options.loadKeys()
        } catch KeyError.noKey {
            currentKeys = newKeys
        }
        let store = try options.selection.configuration().store(keys: currentKeys)
        let previous = try store.rotate(to: newKeys)
        let target = newKeys.sealingKey.id
        if previous == target {
            Reporter.note("re-sealed \(store.location.path) under key id \(target) (it was already sealed with it)")
        } else {
            Reporter.note("re-sealed \(store.location.path): key id \(previous) → \(target); the old key no longer opens it")
            Reporter.note("next: make \(newKeyfile)'s key the only one in every keyfile that opens this vault")
        }
    }
}
