import Logging
import SystemPackage

/// Why a caller asks for a refresh; decides when another process's result can be adopted.
enum RefreshReason {
    /// The access token is expired or inside the refresh margin (or, with an unknown expiry,
    /// `refresh` was asked for); `seen` is the access token the caller had, if any.
    case due(seen: Secret?)
    /// A resource server answered 401 to this access token.
    case rejected(Secret)
    /// `tokenvault refresh --force`: refresh even if the token is fresh, ignore back-off.
    case forced
}
