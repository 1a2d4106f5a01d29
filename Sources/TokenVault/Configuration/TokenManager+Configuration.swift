import Logging

extension TokenManager {
    /// Opens the vault the way the `tokenvault` command does (`VaultConfiguration`): `vault`,
    /// else `TOKENVAULT_PATH`, else the default path; keys from `keyfile`, else `TOKENVAULT_KEY`,
    /// else `TOKENVAULT_KEYFILE`, else the default keyfile; token requests bounded by
    /// `TOKENVAULT_HTTP_TIMEOUT`.
    public convenience init(vault: String? = nil, keyfile: String? = nil, logger: Logger = Logger(label: "tokenvault")) throws {
        let configuration = try VaultConfiguration(vault: vault, keyfile: keyfile, logger: logger)
        self.init(store: try configuration.store(), limits: configuration.limits, logger: logger)
    }
}
