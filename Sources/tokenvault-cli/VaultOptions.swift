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

    /// The same choices as a plain value, usable without argument parsing.
    var selection: VaultSelection { VaultSelection(vault: vault, keyfile: keyfile) }

    var location: VaultLocation { selection.location }

    func loadKeys() throws -> KeyRing { try selection.loadKeys() }

    func store() throws -> VaultStore { try selection.store() }
}

/// Which vault and which keyfile a command uses: `--vault` and `--keyfile`, or neither (the
/// environment and the default path decide), as `VaultOptions` parses them and as the
/// `tokenvault token PROFILE` fast path (Entry) takes them.
struct VaultSelection {
    var vault: String?
    var keyfile: String?

    var location: VaultLocation {
        VaultLocation.resolve(explicit: vault)
    }

    /// The library's configuration for these choices, logging through the command's logger
    /// (warnings in the command's own voice, the rest only with TOKENVAULT_LOG_LEVEL).
    func configuration() throws -> VaultConfiguration {
        try VaultConfiguration(vault: vault, keyfile: keyfile, logger: CommandLogging.logger)
    }

    /// Loads the keys from the first source that is set, warning about the ones it shadows.
    func loadKeys() throws -> KeyRing {
        let configuration = try configuration()
        warnShadowed(configuration)
        return try configuration.loadKeys()
    }

    func store() throws -> VaultStore {
        let configuration = try configuration()
        warnShadowed(configuration)
        return try configuration.store()
    }

    func tokenManager() throws -> TokenManager {
        let configuration = try configuration()
        warnShadowed(configuration)
        return try configuration.tokenManager()
    }

    private func warnShadowed(_ configuration: VaultConfiguration) {
        guard let source = configuration.keySource else { return }
        for name in configuration.shadowedKeySources {
            Reporter.warning("\(name) ignored: \(describe(source)) comes first")
        }
    }

    private func describe(_ source: KeySource) -> String {
        switch source {
        case .environment: return KeySource.keyVariable
        case .keyfile(_, let origin): return origin
        }
    }
}
