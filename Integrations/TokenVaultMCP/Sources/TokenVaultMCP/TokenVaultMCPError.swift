import Foundation
import TokenVault

/// Why a `TokenVaultAuthorizer` could not authorize a request to an MCP server. Each case names the
/// profile (or the address) and says what fixes it; none carries a token.
///
/// `HTTPClientTransport` reports an authorizer's error as `MCPError.internalError` with this
/// error's text; `TokenVaultAuthorizer.rethrowingVaultErrors(_:)` gives the typed error back.
public enum TokenVaultMCPError: Error, Sendable, Equatable {
    /// The profile's refresh token was refused (expired, revoked or spent), or the profile has
    /// no refresh token and no valid access token: only a new sign-in fixes it.
    case reauthenticationRequired(profile: String, server: URL)
    /// The MCP server rejected the token that a refresh had just brought because it rejected the
    /// one before: refreshing again would loop. The profile's resource or scope is wrong for
    /// this server, or the server does not accept tokens of this authorization server.
    case rejectedAgain(profile: String, server: URL)
    /// The MCP server answered 403: the token is valid but its scope does not allow the request.
    case forbidden(profile: String, server: URL)
    /// The vault gave no token for another reason (no vault or key, no such profile, the token
    /// endpoint unreachable with the access token expired, …); `detail` is TokenVault's message.
    case tokenUnavailable(profile: String, detail: String)
    /// The MCP server's address is plain `http` on a host other than loopback (or not `http` or
    /// `https` at all): a bearer token would cross the network readable.
    case insecureEndpoint(server: URL)

    /// Maps an error of `TokenManager` for `profile` to the case a caller acts on.
    init(_ error: any Error, profile: String, server: URL) {
        switch error {
        case let failure as TokenVaultMCPError:
            self = failure
        case RefreshError.reauthenticationRequired, RefreshError.noRefreshToken:
            self = .reauthenticationRequired(profile: profile, server: server)
        case RefreshError.rejectedAgain:
            self = .rejectedAgain(profile: profile, server: server)
        default:
            self = .tokenUnavailable(profile: profile, detail: "\(error)")
        }
    }

    /// The profile the failure is about, or `nil` for an insecure address.
    public var profile: String? {
        switch self {
        case .reauthenticationRequired(let profile, _), .rejectedAgain(let profile, _), .forbidden(let profile, _),
             .tokenUnavailable(let profile, _):
            return profile
        case .insecureEndpoint:
            return nil
        }
    }

    /// What went wrong, naming the profile or the address.
    public var problem: String {
        switch self {
        case .reauthenticationRequired(let profile, _):
            return "profile '\(profile)' needs a new sign-in: its refresh token is expired, revoked or spent"
        case .rejectedAgain(let profile, let server):
            return "\(server.absoluteString) rejected the token of profile '\(profile)' that a refresh had just brought"
        case .forbidden(let profile, let server):
            return "\(server.absoluteString) refused the request with the token of profile '\(profile)' (403): its scope does not allow it"
        case .tokenUnavailable(let profile, let detail):
            return "no token for profile '\(profile)': \(detail)"
        case .insecureEndpoint(let server):
            return "refusing to send a bearer token to \(server.absoluteString): only https, or http on a loopback address, is allowed"
        }
    }

    /// The command or change that fixes it.
    public var hint: String {
        switch self {
        case .reauthenticationRequired(let profile, let server):
            return "run 'tokenvault login \(profile) --server \(server.absoluteString)', or sign in with the MCP client and import the new tokens with the line 'tokenvault status \(profile)' prints"
        case .rejectedAgain(let profile, _):
            return "check that the resource in 'tokenvault status \(profile)' is this MCP server and that the token's scope suffices"
        case .forbidden(let profile, let server):
            return "sign in again with the scope the server asks for: 'tokenvault login \(profile) --server \(server.absoluteString)'"
        case .tokenUnavailable(let profile, _):
            return "run 'tokenvault status \(profile)' for the profile's state and the command that fixes it"
        case .insecureEndpoint:
            return "use the server's https address"
        }
    }
}

extension TokenVaultMCPError: CustomStringConvertible, LocalizedError {
    /// The problem and its fix, as one message for a person.
    public var description: String { "\(problem); hint: \(hint)" }
    /// The same as `description`: what `HTTPClientTransport` puts in its `MCPError`.
    public var errorDescription: String? { description }
}
