import Logging
import SystemPackage

/// Refreshes one profile, exactly once across processes.
///
/// The protocol: take the profile's refresh lock (held across the whole exchange), re-read the
/// vault, and adopt what is there when another process already did the work. Otherwise spend
/// the refresh token once, and seal the outcome (new tokens, or the failure state) under the
/// writer lock, merged into the vault as it is then, before anyone sees the new access token.
/// The refresh lock is per profile, so a slow token endpoint holds up neither reads nor the
/// refreshes of other profiles; only the final write is serialized.
struct RefreshEngine: Sendable {
    let store: VaultStore
    let limits: HTTPLimits
    let logger: Logger

    /// How long to wait for another process's refresh of the same profile: longer than its
    /// exchange can take (two attempts when the first answer is lost, each covered by its
    /// lease), plus its write.
    var refreshLockTimeout: Double { 2 * requestLifetime + store.lockTimeout / 4 }

    func refresh(_ name: String, reason: RefreshReason) throws -> TokenProfile {
        // While another process holds the lock, a waiter that polls for it (a PostgreSQL lease)
        // adopts that process's refresh as soon as it is sealed, rather than take the lock in
        // turn only to find it: the vault is opened at the first wait, then again only when its
        // version has changed. A refresh that takes the lock at once asks nothing of this.
        var checked: VaultVersion?
        var looked = false
        var adopted: TokenProfile?
        let refreshedMeanwhile = {
            let version = store.currentVersion()
            guard !looked || version != checked else { return false }
            (looked, checked) = (true, version)
            adopted = try? adoptable(name, reason: reason)
            return adopted != nil
        }
        do {
            let refreshed = try store.holdingProfileLock(name, timeout: refreshLockTimeout, unlessMeanwhile: refreshedMeanwhile) { lock in
                try refreshHoldingLock(name, reason: reason, lock: lock)
            }
            guard let profile = refreshed ?? adopted else { preconditionFailure("the wait ended with neither a lock nor a refresh") }
            if refreshed == nil { logger.debug("adopted a refresh made elsewhere while waiting", metadata: ["profile": "\(name)"]) }
            return profile
        } catch VaultError.busy {
            if let adopted = try adoptable(name, reason: reason) { return adopted }
            throw RefreshError.transient(profile: name, detail: "another process is still refreshing this profile", retryAfter: nil)
        }
    }

    private func refreshHoldingLock(_ name: String, reason: RefreshReason, lock: any VaultLock) throws -> TokenProfile {
        let snapshot = try store.read()
        guard let profile = snapshot.profiles[name] else {
            throw VaultError.profileMissing(profile: name, path: store.pathString, profiles: snapshot.profiles.keys.sorted())
        }
        let now = WallClock.now
        if Self.satisfies(profile, reason: reason, now: now) {
            logger.debug("adopted a refresh made elsewhere", metadata: ["profile": "\(name)"])
            return profile
        }
        let forced: Bool
        if case .forced = reason { forced = true } else { forced = false }
        let state = profile.refreshState
        if state.reauthenticationRequired && !forced {
            throw RefreshError.reauthenticationRequired(profile: name, detail: state.lastError ?? "recorded earlier")
        }
        if state.clientRejected && !forced {
            throw RefreshError.clientRejected(profile: name, detail: state.lastError ?? "recorded earlier")
        }
        if let retryAfter = state.retryAfter, retryAfter > now, !forced {
            throw RefreshError.transient(profile: name, detail: "backing off after: \(state.lastError ?? "a failure")", retryAfter: retryAfter)
        }
        guard let refreshToken = profile.refreshToken else { throw RefreshError.noRefreshToken(profile: name) }
        // Sending the refresh token spends it; the rotated tokens must then be sealed. A vault at
        // its last generation can be written no more, so nothing is sent.
        guard snapshot.generation < .max else {
            throw VaultError.unwritable(path: store.pathString, .lastGeneration)
        }
        let url: EndpointURL
        do {
            url = try EndpointURL(profile.binding.tokenEndpoint)
        } catch {
            throw RefreshError.configurationRejected(profile: name, detail: error.description)
        }
        return try exchange(name, profile: profile, refreshToken: refreshToken, url: url, lock: lock)
    }

    /// Whether the vault already holds what the caller wants, so that no request is needed.
    static func satisfies(_ profile: TokenProfile, reason: RefreshReason, now: UnixTime) -> Bool {
        switch reason {
        case .forced:
            return false
        case .due(let seen):
            switch RefreshPolicy.accessState(of: profile, now: now) {
            case .valid:
                return true
            case .unknownExpiry:
                // No expiry to compare: a token other than the one the caller saw is the result
                // of another process's refresh.
                guard let seen, let current = profile.accessToken else { return false }
                return !current.isEqual(to: seen)
            default:
                return false
            }
        case .rejected(let token):
            guard let current = profile.accessToken, !current.isEqual(to: token) else { return false }
            return !RefreshPolicy.isExpired(profile, now: now)
        }
    }

    private func adoptable(_ name: String, reason: RefreshReason) throws -> TokenProfile? {
        guard let profile = try store.read().profiles[name] else { return nil }
        return Self.satisfies(profile, reason: reason, now: WallClock.now) ? profile : nil
    }

    // MARK: The exchange

    private enum Outcome {
        case success(TokenResponse.Tokens, sentAt: UnixTime)
        case reauthenticate(String)
        case clientRejected(String)
        case configuration(String)
        case transient(String, retryAfter: Int64?)
        /// The request may have reached the server and been honoured, but no usable answer came
        /// back: the refresh token may be spent.
        case ambiguous(String)
    }

    /// How long a request may still arrive at the token endpoint after it is sent: libcurl gives
    /// up on it by then, and a few seconds more cover what sits between (a proxy's queue). The
    /// refresh lock is confirmed for this long before each send.
    var requestLifetime: Double { limits.connectTimeout + limits.totalTimeout + 5 }

    private func exchange(
        _ name: String, profile: TokenProfile, refreshToken: Secret, url: EndpointURL, lock: any VaultLock
    ) throws -> TokenProfile {
        let request = TokenRequest(refreshToken: refreshToken, binding: profile.binding)
        do {
            try lock.confirm(holdingFor: requestLifetime)
        } catch {
            throw RefreshError.transient(profile: name, detail: error.description, retryAfter: nil)
        }
        var outcome = send(request, to: url)
        if case .ambiguous = outcome {} else { lock.answered() }
        if case .ambiguous(let detail) = outcome {
            // A lost answer may mean a spent token. Record that, then present the same token
            // once more: servers with a grace window for the previous token (Cloudflare's
            // provider) answer it; strict ones answer invalid_grant, which is then the truth.
            logger.notice("no usable answer to a refresh; retrying once with the same refresh token",
                           metadata: ["profile": "\(name)", "reason": "\(detail)"])
            _ = try? persist(name, spent: refreshToken) { current in
                current.refreshState.ambiguousSpendAt = WallClock.now
            }
            do {
                try lock.confirm(holdingFor: requestLifetime)
                outcome = send(request, to: url)
                if case .ambiguous(let again) = outcome {
                    outcome = .transient("no usable answer twice: \(again)", retryAfter: nil)
                } else {
                    lock.answered()
                }
            } catch {
                outcome = .transient("not sent again: \(error.description)", retryAfter: nil)
            }
        }
        let now = WallClock.now
        // We hold the profile's refresh lock, so its failure count cannot have changed meanwhile.
        let failures = profile.refreshState.consecutiveFailures.clampedAdding(1)
        let error: RefreshError
        var retryAt: UnixTime?
        var flag: WritableKeyPath<RefreshState, Bool>?
        let detail: String
        switch outcome {
        case .success(let tokens, let sentAt) where tokens.accessToken != nil:
            return try seal(name, tokens: tokens, sentAt: sentAt, spent: refreshToken, profile: profile)
        case .success(let tokens, let sentAt):
            // A 2xx without a usable access token. The server did answer, so it is not presented
            // the same refresh token again at once (a server that rotated and detects reuse
            // would revoke the whole grant); a rotated refresh token that is usable is sealed,
            // so the chain survives; then it is a transient failure, with back-off.
            let reason = Self.refusal(tokens)
            retryAt = now + Self.backoff(failures: failures)
            _ = try seal(name, tokens: tokens, sentAt: sentAt, spent: refreshToken, profile: profile) { current in
                Self.recordFailure(&current.refreshState, reason, now: now, retryAfter: retryAt)
            }
            logger.notice("refresh failed", metadata: ["profile": "\(name)", "detail": "\(reason)"])
            throw RefreshError.transient(profile: name, detail: reason, retryAfter: retryAt)
        case .reauthenticate(let reason):
            detail = reason
            error = .reauthenticationRequired(profile: name, detail: reason)
            flag = \.reauthenticationRequired
        case .clientRejected(let reason):
            detail = reason
            error = .clientRejected(profile: name, detail: reason)
            flag = \.clientRejected
        case .configuration(let reason):
            // Back off here too, so that a script calling in a loop does not keep sending the
            // refresh token to an endpoint that refuses it.
            detail = reason
            retryAt = now + Self.backoff(failures: failures)
            error = .configurationRejected(profile: name, detail: reason)
        case .transient(let reason, let serverDelay):
            detail = reason
            retryAt = now + (serverDelay ?? Self.backoff(failures: failures))
            error = .transient(profile: name, detail: reason, retryAfter: retryAt)
        case .ambiguous:
            preconditionFailure("ambiguous outcomes are retried above")
        }
        // Recorded only if the vault still holds the refresh token that was sent: a profile
        // re-imported meanwhile stays as it is.
        _ = try? persist(name, spent: refreshToken) { current in
            if let flag { current.refreshState[keyPath: flag] = true }
            Self.recordFailure(&current.refreshState, detail, now: now, retryAfter: retryAt)
        }
        logger.notice("refresh failed", metadata: ["profile": "\(name)", "detail": "\(detail)"])
        throw error
    }

    /// Exponential back-off with full jitter in its upper half: 1-2, 2-4, 4-8 … seconds after
    /// the 1st, 2nd, 3rd failure, at most 5 minutes, so processes that failed together do not
    /// retry together.
    static func backoff(failures: Int64) -> Int64 {
        let ceiling = min(300, Int64(1) << min(max(failures, 1), 9))
        let floor = ceiling / 2
        return floor + Int64(Sodium.randomUInt32(below: UInt32(ceiling - floor + 1)))
    }

    static func recordFailure(_ state: inout RefreshState, _ detail: String, now: UnixTime, retryAfter: UnixTime?) {
        state.lastError = detail
        state.lastErrorAt = now
        state.consecutiveFailures = state.consecutiveFailures.clampedAdding(1)
        state.retryAfter = retryAfter
    }

    /// What was wrong with the tokens of a 2xx answer, for messages and `last_error`.
    static func refusal(_ tokens: TokenResponse.Tokens) -> String {
        var text = tokens.refusal
        if tokens.accessToken == nil, tokens.refreshToken != nil {
            text += "; kept the refresh token it rotated to"
        } else if tokens.refused.contains("refresh_token") {
            text += "; kept the previous refresh token, which the server may have spent"
        }
        return text
    }

    private func send(_ request: TokenRequest, to url: EndpointURL) -> Outcome {
        let sentAt = WallClock.now
        let response: HTTPResponse
        do {
            response = try Curl.postForm(url: url, form: request.form, authorization: request.authorization, limits: limits)
        } catch {
            switch error {
            case .notSent(let reason): return .transient("token endpoint unreachable: \(reason)", retryAfter: nil)
            case .noAnswer(let reason): return .ambiguous(reason)
            case .bodyTooLarge(let limit): return .ambiguous("the answer exceeded \(limit) bytes")
            }
        }
        if (300..<400).contains(response.status) {
            let target = response.location.map { location in
                " to " + location.withUnsafeBytes { ServerText.clean($0, masking: request.echoes) }
            } ?? ""
            return .configuration("the token endpoint redirected (\(response.status))\(target); tokenvault sends refresh tokens only to the stored endpoint and follows no redirects")
        }
        switch TokenResponse(response, echoes: request.echoes) {
        case .tokens(let tokens):
            return .success(tokens, sentAt: sentAt)
        case .malformed(let detail):
            return .ambiguous(detail)
        case .failure(let status, let code, let description):
            let detail = ([code ?? "HTTP \(status)"] + (description.map { [$0] } ?? [])).joined(separator: ": ")
            // Retry-After is read only where it means something: a transient failure.
            let retryAfter = { response.retryAfter.flatMap { RetryAfter.seconds(from: $0, now: sentAt) } }
            switch code {
            case "invalid_grant": return .reauthenticate(detail)
            case "invalid_client", "unauthorized_client": return .clientRejected(detail)
            case "temporarily_unavailable", "server_error", "slow_down": return .transient(detail, retryAfter: retryAfter())
            default: break
            }
            switch status {
            case 401: return .reauthenticate(detail)
            case 408, 425, 429, 500...599: return .transient(detail, retryAfter: retryAfter())
            default: return .configuration(detail)
            }
        }
    }

    // MARK: Sealing

    /// Seals what a 2xx answer brought: the tokens that are usable, their times, and a clean
    /// refresh state, then `also` (a failure record, when the access token was unusable).
    private func seal(
        _ name: String, tokens: TokenResponse.Tokens, sentAt: UnixTime, spent: Secret, profile: TokenProfile,
        also: @escaping (inout TokenProfile) -> Void = { _ in }
    ) throws -> TokenProfile {
        let apply: (inout TokenProfile) -> Void = { current in
            if let rotated = tokens.refreshToken {
                // Remembered so that a stale copy of the chain is refused at import.
                if !rotated.isEqual(to: spent) { current.recordSpent(spent) }
                current.refreshToken = rotated
                current.refreshTokenIssuedAt = sentAt
                current.refreshTokenExpiresAt = tokens.refreshTokenExpiresIn.map { sentAt + $0 }
                    ?? current.refreshTokenLifetime.map { sentAt.clampedAdding($0) }
            } else if let expiresIn = tokens.refreshTokenExpiresIn, tokens.refused.isEmpty {
                current.refreshTokenExpiresAt = sentAt + expiresIn
            }
            guard let accessToken = tokens.accessToken else {
                if tokens.refused.contains("refresh_token") { current.refreshState.ambiguousSpendAt = sentAt }
                also(&current)
                return
            }
            current.accessToken = accessToken
            current.expiresAt = tokens.expiresIn.map { sentAt + $0 } ?? JWTExpiry.expiry(of: accessToken)
            if let type = tokens.tokenType { current.tokenType = type }
            if let scope = tokens.scope { current.scope = scope }
            current.refreshedAt = sentAt
            current.refreshState = RefreshState()
            if tokens.refused.contains("refresh_token") {
                // The server answered with a rotated refresh token that cannot be used: the one
                // kept has probably been spent. Say so, as for an answer that was lost.
                current.refreshState.ambiguousSpendAt = sentAt
                current.refreshState.lastError = Self.refusal(tokens)
                current.refreshState.lastErrorAt = sentAt
            }
            also(&current)
        }
        // The old refresh token is spent: the new pair must reach the disk. Retry a write that
        // fails (a full disk being cleaned up, a lock held for long) before giving up loudly.
        var lastError: VaultError?
        for attempt in 0..<3 {
            let sealed: TokenProfile?
            do {
                sealed = try persist(name, spent: spent, apply)
            } catch let error as VaultError {
                lastError = error
                logger.error("could not seal refreshed tokens", metadata: ["profile": "\(name)", "attempt": "\(attempt + 1)", "error": "\(error)"])
                MonotonicClock.sleep(seconds: 0.2 * Double(attempt + 1))
                continue
            }
            guard let sealed else {
                // Re-imported with other tokens, or removed, meanwhile: what is in the vault now wins.
                logger.notice("profile changed during the refresh; keeping the vault's version", metadata: ["profile": "\(name)"])
                return try currentProfile(name)
            }
            if let accessToken = tokens.accessToken {
                logger.info("refreshed", metadata: [
                    "profile": "\(name)", "access_token": "\(accessToken.fingerprint)", "rotated": "\(tokens.refreshToken != nil)",
                ])
            }
            return sealed
        }
        var unsaved = profile
        apply(&unsaved)
        throw SealFailure(profile: unsaved, spent: spent, error: RefreshError.sealFailed(profile: name, cause: lastError!))
    }

    private func currentProfile(_ name: String) throws -> TokenProfile {
        let profiles = try store.read().profiles
        guard let current = profiles[name] else {
            throw VaultError.profileMissing(profile: name, path: store.pathString, profiles: profiles.keys.sorted())
        }
        return current
    }

    /// Seals a refreshed profile kept in memory after a failed seal, under the profile's
    /// refresh lock and only over the refresh token it replaces; otherwise (removed,
    /// re-imported, refreshed elsewhere) the vault's version wins and is returned.
    func sealKept(_ kept: SealFailure, name: String) throws -> TokenProfile {
        try store.holdingProfileLock(name, timeout: refreshLockTimeout) { _ in
            if let sealed = try persist(name, spent: kept.spent, { $0 = kept.profile }) { return sealed }
            return try currentProfile(name)
        }
    }

    /// Applies `change` to the profile under the writer lock, if the vault still holds the
    /// refresh token that was spent (a re-import of the same chain, with new settings, counts as
    /// the same; other tokens or a removal do not). Returns the sealed profile, or `nil` when it
    /// changed.
    @discardableResult
    func persist(_ name: String, spent: Secret, _ change: (inout TokenProfile) -> Void) throws -> TokenProfile? {
        try store.update { profiles, _ -> TokenProfile? in
            guard var current = profiles[name], let stored = current.refreshToken, stored.isEqual(to: spent) else { return nil }
            change(&current)
            profiles[name] = current
            return current
        }
    }
}
