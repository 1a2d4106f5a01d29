import Foundation
import Logging
import MCP
import Synchronization
import TokenVault

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Authorizes an MCP client's requests with a TokenVault profile's access token.
///
///     let authorizer = try TokenVaultAuthorizer(profile: "readonly")
///     let transport = HTTPClientTransport(endpoint: server, authorizer: authorizer)
///     let client = Client(name: "my-app", version: "1.0")
///     try await authorizer.rethrowingVaultErrors {
///         _ = try await client.connect(transport: transport)
///         return try await client.callTool(name: "search", arguments: ["query": "tokens"])
///     }
///
/// TokenVault stays the only refresher: before each request the token comes from `TokenManager`
/// (from the vault, refreshed first when it is due, once across all processes), and a 401 hands
/// the rejected token back to `TokenManager.accessToken(for:rejected:)`, which refreshes once. A
/// second 401, or a profile that needs a new sign-in, fails the request with a
/// `TokenVaultMCPError` that names the profile and the command that fixes it.
///
/// This type deliberately does not implement the SDK's `TokenStorage`: with one, the SDK's own
/// `OAuthAuthorizer` would spend the refresh token itself, and the vault's copy would be revoked
/// at the next rotation.
///
/// One authorizer may serve several transports. The token is kept in guarded memory; the SDK
/// takes the header as a `String`, which is built for each request and not kept.
public final class TokenVaultAuthorizer: HTTPClientAuthorizer, Sendable {
    /// The vault profile whose tokens authorize the requests.
    public let profile: String
    /// Where tokens come from, refreshed when due or rejected.
    public let tokens: TokenManager
    private let logger: Logger

    private struct State {
        /// The token the next request presents.
        var current: Secret?
        /// Why the last attempt to get a token failed, until one succeeds.
        var failure: TokenVaultMCPError?
        /// The last error this authorizer threw, for `rethrowingVaultErrors(_:)`.
        var thrown: TokenVaultMCPError?
        var presented = PresentedTokens()
    }

    private let state = Mutex(State())

    /// An authorizer for `profile`, with tokens from `tokens`.
    public init(profile: String, tokens: TokenManager, logger: Logger = Logger(label: "tokenvault.mcp")) {
        self.profile = profile
        self.tokens = tokens
        self.logger = logger
    }

    /// An authorizer for `profile`, with the vault and key found as the `tokenvault` command
    /// finds them (`vault`, else `TOKENVAULT_PATH`, else the default path; `keyfile`, else
    /// `TOKENVAULT_KEY` or `TOKENVAULT_KEYFILE`, else the default keyfile). Throws when no key is
    /// configured or the keyfile is unusable; the vault is read at the first request.
    public convenience init(
        profile: String, vault: String? = nil, keyfile: String? = nil, logger: Logger = Logger(label: "tokenvault.mcp")
    ) throws {
        self.init(profile: profile, tokens: try TokenManager(vault: vault, keyfile: keyfile, logger: logger), logger: logger)
    }

    // MARK: - HTTPClientAuthorizer

    /// Two: the request as sent, and once more after a 401 brought a new token.
    public var maxAuthorizationAttempts: Int { 2 }

    /// Throws `TokenVaultMCPError.insecureEndpoint` unless `endpoint` is `https`, or `http` on
    /// loopback.
    public func validateEndpointSecurity(for endpoint: URL) throws {
        guard EndpointSecurity.allowsBearerToken(to: endpoint) else {
            throw remember(.insecureEndpoint(server: endpoint))
        }
    }

    /// `Bearer` and the profile's token, or `nil` when the last attempt to get one failed.
    public func authorizationHeader(for endpoint: URL) -> String? {
        let task = PresentedTokens.currentTask
        return state.withLock { state -> String? in
            if let task { state.presented.record(state.current, for: task) }
            return state.current.map { "Bearer " + $0.unsafeStringValue() }
        }
    }

    /// Gets the profile's token from the vault, refreshed first when it is due. On failure the
    /// next request goes without a token, and the 401 it gets brings the error back through
    /// `handleChallenge`: the transport ignores errors thrown here.
    public func prepareAuthorization(for endpoint: URL, session: URLSession) async throws {
        if let task = PresentedTokens.currentTask {
            state.withLock { $0.presented.begin(for: task) }
        }
        try await fetch(for: endpoint)
    }

    /// After a request's first 401: asks `TokenManager` for a token other than the one this
    /// request presented (refreshing once) and returns `true` to have the request sent again.
    /// Throws the error that kept the request from a token
    /// (`TokenVaultMCPError.reauthenticationRequired`), or `TokenVaultMCPError.rejectedAgain`
    /// when the request is rejected a second time.
    /// A 403 (insufficient scope) throws `TokenVaultMCPError.forbidden`: a refresh keeps the scope.
    public func handleChallenge(
        statusCode: Int, headers: [String: String], endpoint: URL, operationKey: String?, session: URLSession
    ) async throws -> Bool {
        let task = PresentedTokens.currentTask
        let (request, failure) = state.withLock { state in
            (task.map { state.presented.challenge(for: $0) } ?? PresentedTokens.Entry(token: state.current), state.failure)
        }
        guard statusCode == 401 else {
            throw remember(.forbidden(profile: profile, server: endpoint))
        }
        guard request.challenges == 0 else {
            // The retry with the token the first 401 brought was rejected too.
            throw remember(failure ?? .rejectedAgain(profile: profile, server: endpoint))
        }
        guard let presented = request.token else {
            // The request went without a token: getting one failed, or the server wants one now.
            if let failure { throw remember(failure) }
            try await fetch(for: endpoint)
            return true
        }
        logger.info("the MCP server rejected the access token; asking the vault for another", metadata: [
            "profile": "\(profile)", "token": "\(presented.fingerprint)",
        ])
        do {
            let fresh = Secret(copying: try await tokens.accessToken(for: profile, rejected: presented.unsafeStringValue()))
            state.withLock { state in
                state.current = fresh
                state.failure = nil
            }
            return true
        } catch {
            let failure = TokenVaultMCPError(error, profile: profile, server: endpoint)
            state.withLock { $0.failure = failure }
            throw remember(failure)
        }
    }

    // MARK: - Typed errors

    /// Runs `body` (calls on an MCP `Client` whose transport uses this authorizer) and, when it
    /// fails because this authorizer could not authorize a request, throws the
    /// `TokenVaultMCPError` instead of the transport's `MCPError.internalError` that carries its
    /// text. Other errors pass through unchanged.
    public func rethrowingVaultErrors<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> sending T
    ) async throws -> sending T {
        do {
            return try await body()
        } catch let error as MCPError {
            if case .internalError(let message?) = error,
               let thrown = state.withLock({ $0.thrown }), message.contains(thrown.description) {
                throw thrown
            }
            throw error
        }
    }

    // MARK: - Private

    private func fetch(for endpoint: URL) async throws {
        do {
            let token = Secret(copying: try await tokens.accessToken(for: profile))
            state.withLock { state in
                state.current = token
                state.failure = nil
            }
        } catch {
            let failure = TokenVaultMCPError(error, profile: profile, server: endpoint)
            logger.warning("no access token from the vault", metadata: ["profile": "\(profile)", "error": "\(failure.problem)"])
            state.withLock { state in
                state.current = nil
                state.failure = failure
            }
            throw failure
        }
    }

    private func remember(_ failure: TokenVaultMCPError) -> TokenVaultMCPError {
        state.withLock { $0.thrown = failure }
        return failure
    }
}
