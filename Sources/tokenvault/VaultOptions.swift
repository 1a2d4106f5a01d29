import ArgumentParser
import SystemPackage
import TokenVault

/// The options every vault command shares.
struct VaultOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The vault file. Defaults to TOKENVAULT_PATH, else $XDG_DATA_HOME/tokenvault/tokens.vault (~/.local/share/tokenvault/tokens.vault).",
            valueName: "path"
        )
    )
    var vault: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A keyfile: one key a line, the first seals, all open. Used when neither TOKENVAULT_KEY nor TOKENVAULT_KEYFILE is set.",
            valueName: "path"
        )
    )
    var keyfile: String?

    var location: VaultLocation {
        VaultLocation.resolve(explicit: vault)
    }

    /// Loads the keys from the first source that is set, warning about the ones it shadows.
    func loadKeys() throws -> KeyRing {
        guard let (source, shadowed) = KeySource.resolve(explicitKeyfile: keyfile) else {
            throw VaultError.noKey
        }
        for name in shadowed {
            Reporter.warning("\(name) ignored: \(describe(source)) comes first")
        }
        return try source.load()
    }

    func store() throws -> VaultStore {
        VaultStore(location: location, keys: try loadKeys())
    }

    private func describe(_ source: KeySource) -> String {
        switch source {
        case .environment: return KeySource.keyVariable
        case .keyfile(_, let origin): return origin
        }
    }
}
