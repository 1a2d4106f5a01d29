import SystemPackage
import TokenVault

/// What the hints about an unusable key need besides the error, read from the files: the
/// selected vault and the key id that sealed it, a vault it was probably meant to be, the
/// default keyfile, and what named the keyfile in force.
struct KeyFacts {
    /// The selected vault: its path, or its PostgreSQL address.
    let vault: String
    /// What is at `vault`.
    let vaultFinding: VaultProbe.Finding
    /// When there is no vault at `vault`: a vault a typo (or an unexpanded `~`) away.
    let similarVault: FilePath?
    /// Where the default keyfile was looked for.
    let defaultKeyfile: FilePath?
    /// What named the keyfile in force (`--keyfile`, `TOKENVAULT_KEYFILE`, the default keyfile);
    /// `nil` when the key came from `TOKENVAULT_KEY` or from nowhere.
    let keyfileOrigin: String?

    init(_ configuration: VaultConfiguration) {
        vault = configuration.address.description
        if let location = configuration.address.fileLocation {
            vaultFinding = VaultProbe.look(at: location.path)
            similarVault = vaultFinding == .nothing ? PathGuess.similarVault(to: location.path) : nil
        } else {
            // A database is not looked into without a key: taken as holding a vault, so that no
            // hint offers a new key for it.
            vaultFinding = .vault(sealedWith: nil)
            similarVault = nil
        }
        defaultKeyfile = configuration.keyLookup.defaultKeyfile
        if case .keyfile(_, let origin) = configuration.keySource { keyfileOrigin = origin } else { keyfileOrigin = nil }
    }

    /// Whether anything is at the default keyfile's path.
    var defaultKeyfileExists: Bool {
        defaultKeyfile.map { VaultProbe.look(at: $0) != .nothing } ?? false
    }

    /// The key id in the selected vault's header, if there is a vault with one.
    var sealedWith: KeyID? {
        if case .vault(let id) = vaultFinding { return id }
        return nil
    }

    /// What to point at the right keyfile: the option or variable that named the wrong one.
    var keyfileNamer: String {
        switch keyfileOrigin {
        case "--keyfile"?: return "--keyfile"
        case KeySource.keyfileVariable?: return KeySource.keyfileVariable
        default: return "--keyfile or TOKENVAULT_KEYFILE"
        }
    }
}
