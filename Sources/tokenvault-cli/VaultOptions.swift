import ArgumentParser
import SystemPackage
import TokenVault

/// The options every vault command shares.
struct VaultOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The vault: a file, or a PostgreSQL address (postgresql://…, postgres://…, or postgresql: followed by libpq keywords; vault=NAME names the vault, default 'default'; the password belongs in ~/.pgpass, never here). Comes before TOKENVAULT_PATH; without either, $XDG_DATA_HOME/tokenvault/tokens.vault (~/.local/share/tokenvault/tokens.vault).",
            valueName: "vault"
        )
    )
    var vault: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A keyfile: one key a line, the first seals, all open. Comes before TOKENVAULT_KEY, TOKENVAULT_KEY_COMMAND, TOKENVAULT_KEY_CREDENTIAL and TOKENVAULT_KEYFILE; without any of them, $XDG_CONFIG_HOME/tokenvault/key (~/.config/tokenvault/key) if it exists.",
            valueName: "path"
        )
    )
    var keyfile: String?

    @Option(
        name: .customLong("key-fd"),
        help: ArgumentHelp(
            "Read the key lines from this inherited file descriptor (e.g. --key-fd 3 3<keyfile), then close it. Instead of --keyfile; comes before the environment.",
            valueName: "n"
        )
    )
    var keyDescriptor: Int32?

    func validate() throws {
        if keyfile != nil && keyDescriptor != nil {
            throw ValidationError("give --keyfile or --key-fd, not both")
        }
        if let keyDescriptor, keyDescriptor < 0 {
            throw ValidationError("--key-fd takes a file descriptor number (0 or more), not \(keyDescriptor)")
        }
    }

    /// The same choices as a plain value, usable without argument parsing.
    var selection: VaultSelection { VaultSelection(vault: vault, keyfile: keyfile, keyDescriptor: keyDescriptor) }

    func loadKeys() throws -> KeyRing { try selection.loadKeys() }

    func store() throws -> VaultStore { try selection.store() }
}

/// Which vault and which keyfile a command uses: `--vault` and `--keyfile` (or `--key-fd`), each
/// before the environment, or neither (the environment and the default paths decide), as `VaultOptions` parses them and as the
/// `tokenvault token PROFILE` fast path (Entry) takes them.
struct VaultSelection {
    var vault: String?
    var keyfile: String?
    var keyDescriptor: Int32?

    /// When the agent answers instead (TOKENVAULT_AGENT_SOCK), the vault and key it was given
    /// are its own: says so of each flag given here, rather than ignore it in silence.
    func warnIgnoredForAgent() {
        let given = [("--vault", vault != nil), ("--keyfile", keyfile != nil), ("--key-fd", keyDescriptor != nil)]
        for (flag, isGiven) in given where isGiven {
            Reporter.warning("\(flag) ignored: TOKENVAULT_AGENT_SOCK is set, and the agent uses its own vault and key")
        }
    }

    /// The library's configuration for these choices, logging through the command's logger
    /// (warnings in the command's own voice, the rest only with TOKENVAULT_LOG_LEVEL).
    func configuration() throws -> VaultConfiguration {
        try VaultConfiguration(vault: vault, keyfile: keyfile, keyDescriptor: keyDescriptor, logger: CommandLogging.logger)
    }

    /// Loads the keys from the first source that is set, warning about the ones it shadows.
    func loadKeys() throws -> KeyRing {
        try withKeyFacts { configuration throws(KeyError) in try configuration.loadKeys() }
    }

    func store() throws -> VaultStore {
        try withKeyFacts { configuration throws(KeyError) in try configuration.store() }
    }

    func tokenManager() throws -> TokenManager {
        try withKeyFacts { configuration throws(KeyError) in try configuration.tokenManager() }
    }

    /// `body` on the configuration, after warning about shadowed key sources; a key error comes
    /// out with what its hint needs to know about the vault and the keyfiles.
    private func withKeyFacts<Result>(_ body: (VaultConfiguration) throws(KeyError) -> Result) throws -> Result {
        let configuration = try configuration()
        warnShadowed(configuration)
        do {
            return try body(configuration)
        } catch {
            throw KeyFailure(error: error, facts: KeyFacts(configuration))
        }
    }

    private func warnShadowed(_ configuration: VaultConfiguration) {
        guard let source = configuration.keySource else { return }
        for name in configuration.shadowedKeySources {
            Reporter.warning("\(name) ignored: \(source.name) comes first")
        }
    }
}
