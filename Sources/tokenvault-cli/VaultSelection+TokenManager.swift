import TokenVault

extension VaultOptions {
    func tokenManager() throws -> TokenManager { try selection.tokenManager() }
}
