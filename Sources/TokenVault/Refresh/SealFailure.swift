import Logging
import SystemPackage

/// A refresh whose new tokens could not be sealed: the caller keeps `profile` in memory and
/// retries the seal before anything else (the old refresh token is spent).
struct SealFailure: Error {
    let profile: TokenProfile
    /// The refresh token the kept profile replaces.
    let spent: Secret
    let error: RefreshError
}
