import TokenVault

/// A failure of a command that uses one profile (`token`, `exec`, `refresh`), with a hint worded
/// from what the vault holds: the names near a mistyped one, or the full import line that brings
/// back a profile whose refresh token was refused.
enum ProfileFailure {
    /// `error` as the command reports it. `offeringImport`: whether a profile that is not there
    /// may be one still to import (`token`, `exec`), rather than a typo of one that is.
    static func reported(
        _ error: Error, profile: String, tokens: TokenManager, selection: VaultSelection, offeringImport: Bool
    ) -> Error {
        let hint: String
        switch error {
        case VaultError.profileMissing(let name, _, let profiles):
            hint = VaultError.missingProfileHint(name, among: profiles, offeringImport: offeringImport)
        case RefreshError.reauthenticationRequired, RefreshError.noRefreshToken:
            // The profile as sealed: the failure was recorded in it, its settings were not changed.
            guard let stored = try? tokens.currentProfile(profile) else { return error }
            hint = ReauthenticationCommand.advice(profile, stored, selection: selection)
        default:
            return error
        }
        return CommandFailure(message: Failure.message(error), hint: hint, status: Failure.status(error))
    }
}
