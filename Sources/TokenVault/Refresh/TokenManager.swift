import Dispatch
import Logging
import Synchronization
import SystemPackage

/// What an app links: valid access tokens for named profiles, refreshed when needed.
///
///     let tokens = try TokenManager(logger: logger)          // key and vault as the CLI finds them
///     let token = try await tokens.accessToken(for: "readonly")
///     // … the MCP server answered 401 to `token`:
///     let fresh = try await tokens.accessToken(for: "readonly", rejected: token)
///
/// The cached path decrypts nothing and reads no file: one `stat` of the vault tells whether any
/// process changed it since it was last opened. A refresh happens once per profile across all
/// threads and processes, and its result is sealed into the vault before it is returned.
public final class TokenManager: Sendable {
    /// The vault the manager reads, refreshes and seals into.
    public let store: VaultStore
    let engine: RefreshEngine
    let logger: Logger
    /// The backend's `revalidationInterval`, read once.
    private let revalidationInterval: Double

    struct Cache {
        var version: VaultVersion?
        /// When `version` was last found current (monotonic seconds).
        var checkedAt: Double?
        var profiles: [String: TokenProfile] = [:]
        /// Refreshed profiles whose sealing failed; sealed before anything else is tried.
        var unsealed: [String: SealFailure] = [:]
        /// The token a refresh that a 401 forced obtained, per profile: its fingerprint, and when
        /// (monotonic seconds).
        var refreshedAfterRejection: [String: (fingerprint: String, at: Double)] = [:]
    }

    let cache = Mutex(Cache())
    private let flights = Mutex([String: Task<TokenProfile, any Error>]())

    /// A manager over `store`, with `limits` for every token-endpoint request. Nothing is read
    /// until the first call.
    public init(store: VaultStore, limits: HTTPLimits = HTTPLimits(), logger: Logger = Logger(label: "tokenvault")) {
        self.store = store
        self.revalidationInterval = store.backend.revalidationInterval
        self.engine = RefreshEngine(store: store, limits: limits, logger: logger)
        self.logger = logger
    }

    /// A valid access token for `profile`, refreshed first when it is expired or inside the
    /// refresh margin. While the token is still valid, a failed refresh is logged and the
    /// current token served.
    public func accessToken(for profile: String) async throws -> String {
        try await validProfile(profile).accessToken!.unsafeStringValue()
    }

    /// The access token for `profile` when it needs no refresh (valid beyond the refresh margin,
    /// or of unknown expiry), else `nil`: then `accessToken(for:)` refreshes it. It never waits
    /// on the network, so it needs no async context: `tokenvault token` answers this way without
    /// starting the concurrency runtime's threads.
    public func accessTokenWithoutRefresh(for profile: String) throws -> String? {
        RefreshPolicy.tokenWithoutRefresh(of: try currentProfile(profile), now: WallClock.now)?.unsafeStringValue()
    }

    /// After a resource server answered 401 to `rejected`: a token other than `rejected`,
    /// refreshing once if no other caller has already. Throws `RefreshError.rejectedAgain`
    /// rather than refresh in a loop when the token it got from such a refresh is rejected too
    /// within `rejectionLoopWindow`; a token that served that long and is then rejected (revoked
    /// later) is refreshed again.
    public func accessToken(for profile: String, rejected: String) async throws -> String {
        let rejectedToken = Secret(copying: rejected)
        if let last = cache.withLock({ $0.refreshedAfterRejection[profile] }), last.fingerprint == rejectedToken.fingerprint,
           MonotonicClock.now - last.at < Self.rejectionLoopWindow {
            throw RefreshError.rejectedAgain(profile: profile)
        }
        let current = try currentProfile(profile)
        if let token = current.accessToken, !token.isEqual(to: rejectedToken),
           !RefreshPolicy.isExpired(current, now: WallClock.now) {
            return token.unsafeStringValue()
        }
        let refreshed = try await refresh(profile, reason: .rejected(rejectedToken))
        guard let token = refreshed.accessToken else { throw RefreshError.noRefreshToken(profile: profile) }
        cache.withLock { $0.refreshedAfterRejection[profile] = (token.fingerprint, MonotonicClock.now) }
        return token.unsafeStringValue()
    }

    /// How soon a rejection of the token a 401-forced refresh obtained counts as a loop (the
    /// resource server refuses what the authorization server issues) rather than a new
    /// revocation.
    static let rejectionLoopWindow = 60.0

    /// Refreshes now: when due, or always with `force`. Returns the profile as sealed.
    @discardableResult
    public func refresh(_ profile: String, force: Bool = false) async throws -> TokenProfile {
        let current = try currentProfile(profile)
        if !force, case .valid = RefreshPolicy.accessState(of: current, now: WallClock.now) { return current }
        return try await refresh(profile, reason: force ? .forced : .due(seen: current.accessToken))
    }

    /// The profile as the vault holds it now (from the cache when the vault is unchanged).
    public func currentProfile(_ name: String) throws -> TokenProfile {
        try profile(name, servingValid: false)
    }

    /// The profile as the vault holds it now. With `servingValid`, a cached profile whose access
    /// token needs no refresh is served without asking the vault when its version was checked
    /// less than the backend's `revalidationInterval` ago (for a file, never: a `stat` is
    /// cheap; for PostgreSQL, a round trip saved), and also when the vault cannot be read (the
    /// database down): a valid token in memory is still good.
    private func profile(_ name: String, servingValid: Bool) throws -> TokenProfile {
        let interval = revalidationInterval
        if servingValid, interval > 0, let cached = cache.withLock({ cache -> TokenProfile? in
            guard let checked = cache.checkedAt, MonotonicClock.now - checked < interval else { return nil }
            return cache.profiles[name]
        }), RefreshPolicy.tokenWithoutRefresh(of: cached, now: WallClock.now) != nil {
            return cached
        }
        // Where a version check is a round trip and nothing is cached yet (a process's first
        // call): the read alone, no check first.
        let version = interval > 0 && cache.withLock({ $0.version }) == nil ? nil : store.currentVersion()
        if let cached = cache.withLock({ cache -> Result<TokenProfile, VaultError>? in
            guard version != nil, cache.version == version else { return nil }
            cache.checkedAt = MonotonicClock.now
            guard let profile = cache.profiles[name] else {
                return .failure(.profileMissing(profile: name, path: store.pathString, profiles: cache.profiles.keys.sorted()))
            }
            return .success(profile)
        }) {
            return try cached.get()
        }
        let snapshot: VaultSnapshot
        do {
            snapshot = try store.read()
        } catch {
            if servingValid, case .database = error, let cached = cache.withLock({ $0.profiles[name] }),
               !RefreshPolicy.isExpired(cached, now: WallClock.now), cached.accessToken != nil {
                logger.warning("serving the access token held in memory: the vault cannot be read", metadata: [
                    "profile": "\(name)", "error": "\(error)",
                ])
                return cached
            }
            throw error
        }
        cache.withLock { cache in
            cache.version = snapshot.version
            cache.checkedAt = MonotonicClock.now
            cache.profiles = snapshot.profiles
        }
        guard let profile = snapshot.profiles[name] else {
            throw VaultError.profileMissing(profile: name, path: store.pathString, profiles: snapshot.profiles.keys.sorted())
        }
        return profile
    }

    func validProfile(_ name: String) async throws -> TokenProfile {
        let profile = try self.profile(name, servingValid: true)
        switch RefreshPolicy.accessState(of: profile, now: WallClock.now) {
        case .valid, .unknownExpiry:
            return profile
        case .refreshDue:
            do {
                return try await refresh(name, reason: .due(seen: profile.accessToken))
            } catch {
                // Any failure (the endpoint, a lock, the disk): the current token is still good.
                guard !RefreshPolicy.isExpired(profile, now: WallClock.now) else { throw error }
                logger.warning("serving the current access token after a failed refresh", metadata: [
                    "profile": "\(name)", "error": "\(error)",
                ])
                return profile
            }
        case .expired, .missing:
            guard profile.refreshToken != nil else { throw RefreshError.noRefreshToken(profile: name) }
            return try await refresh(name, reason: .due(seen: profile.accessToken))
        }
    }


    /// One refresh per profile in this process at a time; later callers wait for it.
    private func refresh(_ name: String, reason: RefreshReason) async throws -> TokenProfile {
        let task = flights.withLock { flights -> Task<TokenProfile, any Error> in
            if let running = flights[name] { return running }
            let task = Task<TokenProfile, any Error> { try await self.runRefresh(name, reason: reason) }
            flights[name] = task
            return task
        }
        defer { flights.withLock { if $0[name] == task { $0[name] = nil } } }
        let profile = try await task.value
        guard profile.accessToken != nil else { throw RefreshError.noRefreshToken(profile: name) }
        return profile
    }

    /// Runs the blocking refresh (file locks, libcurl) off the cooperative thread pool.
    private func runRefresh(_ name: String, reason: RefreshReason) async throws -> TokenProfile {
        let unsealed = cache.withLock { $0.unsealed[name] }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.refreshBlocking(name, reason: reason, unsealed: unsealed) })
            }
        }
    }

    private func refreshBlocking(_ name: String, reason: RefreshReason, unsealed: SealFailure?) throws -> TokenProfile {
        if let unsealed {
            // The last refresh's tokens never reached the disk; the old refresh token is spent.
            let sealed = try engine.sealKept(unsealed, name: name)
            cache.withLock { $0.unsealed[name] = nil }
            return sealed
        }
        do {
            return try engine.refresh(name, reason: reason)
        } catch let failure as SealFailure {
            cache.withLock { $0.unsealed[name] = failure }
            logger.critical("refreshed tokens are held only in memory until the vault can be written", metadata: ["profile": "\(name)"])
            throw failure.error
        }
    }
}
