/// The refresh engine's bookkeeping for one profile.
public struct RefreshState: Sendable, Equatable {
    /// The refresh token was refused (`invalid_grant`): only a new import fixes it.
    public var reauthenticationRequired = false
    /// The server refused the client itself (`invalid_client`, `unauthorized_client`).
    public var clientRejected = false
    /// A short description of the last failure: an error class and the server's
    /// `error_description`, never a token.
    public var lastError: String?
    /// When the last failure happened; `nil` when none is recorded.
    public var lastErrorAt: UnixTime?
    /// Failed refresh attempts since the last success or import; drives the back-off.
    public var consecutiveFailures: Int64 = 0
    /// Do not call the token endpoint before this time (from `Retry-After` or back-off).
    public var retryAfter: UnixTime?
    /// A refresh request was sent but no answer came back: the server may have rotated the
    /// token without us hearing of it.
    public var ambiguousSpendAt: UnixTime?
    /// When a writer found the vault at an older generation than this host had written (a
    /// restored backup, a copied-back file): the refresh token may have been rotated since, and
    /// so be spent. Cleared by a successful refresh or a new import.
    public var rolledBackAt: UnixTime?

    /// The state of a profile that has not failed: no flags, no error, no back-off.
    public init() {}
}
