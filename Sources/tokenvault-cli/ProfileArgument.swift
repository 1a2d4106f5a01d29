import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// The check every command that names a profile makes before touching the vault.
enum ProfileArgument {
    static func validate(_ profile: String) throws {
        guard ProfileName.isValid(profile) else { throw ValidationError(VaultError.invalidProfileName(profile).description) }
    }
}
