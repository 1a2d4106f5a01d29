/// A change to the settings of a profile already in the vault: where and how its refresh token
/// is redeemed, and the refresh-token lifetime. Tokens are not settings; they come only from an
/// import. A member left `nil` keeps that setting as it is.
public struct ProfileSettings: Sendable {
    /// Set a setting to a value, or clear it.
    public enum Change<Value: Sendable>: Sendable {
        /// The setting takes this value.
        case set(Value)
        /// The setting is removed (it has no value any more).
        case clear
    }

    /// The token endpoint, under the same URL rules as an import's.
    public var tokenEndpoint: String?
    /// The OAuth client id; never empty.
    public var clientID: String?
    /// The client secret, or none (a public client).
    public var clientSecret: Change<Secret>?
    /// How the client authenticates to the token endpoint.
    public var authMethod: ClientAuthMethod?
    /// The `resource` sent with every refresh.
    public var resource: Change<String>?
    /// The authorization server's issuer.
    public var issuer: Change<String>?
    /// The refresh-token lifetime in seconds, used when the server does not send one.
    public var refreshTokenLifetime: Change<Int64>?

    /// No change at all.
    public init() {}

    /// The longest refresh-token lifetime accepted, ten years (as at import).
    public static let maximumLifetime: Int64 = 10 * 365 * 86_400

    /// Checks each given value by itself, with the rules an import applies: endpoint URLs,
    /// a non-empty client id, a lifetime from one second to ten years.
    public func validate() throws(ProfileSettingsError) {
        for (setting, value) in [("token_endpoint", tokenEndpoint), ("resource", resource?.value), ("issuer", issuer?.value)] {
            guard let value else { continue }
            do {
                _ = try EndpointURL(value)
            } catch {
                throw .invalidURL(setting: setting, error.description)
            }
        }
        if let clientID, clientID.isEmpty { throw .emptyClientID }
        if case .set(let seconds)? = refreshTokenLifetime, !(1...Self.maximumLifetime).contains(seconds) {
            throw .lifetimeOutOfRange(seconds)
        }
    }
}

extension ProfileSettings.Change {
    var value: Value? {
        if case .set(let value) = self { return value }
        return nil
    }
}

/// Why a settings change was refused; nothing is written then. No case carries a secret.
public enum ProfileSettingsError: Error, Sendable, Equatable {
    /// A URL setting breaks the endpoint URL rules; the setting's name and why.
    case invalidURL(setting: String, String)
    /// An empty client id.
    case emptyClientID
    /// A refresh-token lifetime outside one second to ten years.
    case lifetimeOutOfRange(Int64)
    /// The auth method needs a client secret and the profile would have none.
    case secretRequired(profile: String, ClientAuthMethod)
}

extension ProfileSettingsError: CustomStringConvertible {
    /// Why the change was refused, as a message for a person.
    public var description: String {
        switch self {
        case .invalidURL(let setting, let problem): return "\(setting): \(problem)"
        case .emptyClientID: return "the client id must not be empty"
        case .lifetimeOutOfRange(let seconds): return "a refresh-token lifetime of \(seconds) s is outside 1 s to ten years"
        case .secretRequired(let profile, let method):
            return "profile '\(profile)' would authenticate with \(method.rawValue) but have no client secret"
        }
    }
}

/// One setting a change touched, for a person to read: the old and new value as text (a client
/// secret only as `set` or `none`, never its value).
public struct ProfileSettingChange: Sendable, Equatable {
    /// The setting's name, as `status --json` names it (`token_endpoint`, `client_id`, …).
    public let setting: String
    /// The value before; `nil` when it was not set.
    public let old: String?
    /// The value after; `nil` when it is not set any more.
    public let new: String?
}

/// What a settings change did.
public struct ProfileSettingsOutcome: Sendable {
    /// The profile as sealed.
    public let profile: TokenProfile
    /// Each setting whose value changed, in a fixed order; empty when every value was already so.
    public let changes: [ProfileSettingChange]
    /// The profile holds a refresh token and its token endpoint or client id changed: the next
    /// refresh sends that token somewhere it was not sent before.
    public let refreshTokenRedirected: Bool
}

extension TokenProfile {
    /// Applies `settings` (already validated) and returns what changed. A refresh-token expiry
    /// that came from the old lifetime follows the new one (or is cleared with it); one the
    /// server sent is kept.
    mutating func apply(_ settings: ProfileSettings, name: String) throws(ProfileSettingsError) -> [ProfileSettingChange] {
        var changes: [ProfileSettingChange] = []
        func note(_ setting: String, _ old: String?, _ new: String?) {
            if old != new { changes.append(ProfileSettingChange(setting: setting, old: old, new: new)) }
        }
        if let endpoint = settings.tokenEndpoint {
            note("token_endpoint", binding.tokenEndpoint, endpoint)
            binding.tokenEndpoint = endpoint
        }
        if let clientID = settings.clientID {
            note("client_id", binding.clientID, clientID)
            binding.clientID = clientID
        }
        if let change = settings.clientSecret {
            let old = binding.clientSecret
            switch change {
            case .set(let secret):
                let same = old.map { $0.isEqual(to: secret) } ?? false
                if !same { changes.append(ProfileSettingChange(setting: "client_secret", old: old == nil ? nil : "set", new: old == nil ? "set" : "replaced")) }
                binding.clientSecret = secret
            case .clear:
                note("client_secret", old == nil ? nil : "set", nil)
                binding.clientSecret = nil
            }
        }
        if let method = settings.authMethod {
            note("auth_method", binding.authMethod.rawValue, method.rawValue)
            binding.authMethod = method
        }
        if binding.authMethod != .none, binding.clientSecret == nil { throw .secretRequired(profile: name, binding.authMethod) }
        if let change = settings.resource {
            note("resource", binding.resource, change.value)
            binding.resource = change.value
        }
        if let change = settings.issuer {
            note("issuer", binding.issuer, change.value)
            binding.issuer = change.value
        }
        if let change = settings.refreshTokenLifetime {
            let derived = refreshTokenExpiresAt == nil
                || refreshTokenExpiresAt == refreshTokenLifetime.map { refreshTokenIssuedAt.clampedAdding($0) }
            note("refresh_token_lifetime", refreshTokenLifetime.map { "\($0)s" }, change.value.map { "\($0)s" })
            refreshTokenLifetime = change.value
            if derived {
                let expiry = change.value.map { refreshTokenIssuedAt.clampedAdding($0) }
                if expiry != refreshTokenExpiresAt {
                    note("refresh_token_expires_at", refreshTokenExpiresAt.map(ISO8601.format), expiry.map(ISO8601.format))
                    refreshTokenExpiresAt = expiry
                }
            }
        }
        return changes
    }
}

extension VaultStore {
    /// Changes the settings of profile `name` under the writer lock and re-seals the vault, with
    /// the rules an import applies to the same values. Tokens, refresh history and failure
    /// state are kept. Throws `VaultError.profileMissing` when there is no such profile and
    /// `ProfileSettingsError` for a value import would refuse; nothing is written then. Settings
    /// the profile already has write nothing either (no new generation): the outcome lists no
    /// change.
    @discardableResult
    public func changeSettings(_ name: String, _ settings: ProfileSettings) throws -> ProfileSettingsOutcome {
        guard ProfileName.isValid(name) else { throw VaultError.invalidProfileName(name) }
        try settings.validate()
        /// Ends the update without a write: `update` writes nothing when its change throws.
        struct Unchanged: Error { let outcome: ProfileSettingsOutcome }
        do {
            return try update { profiles, _ in
                guard var profile = profiles[name] else {
                    throw VaultError.profileMissing(profile: name, path: pathString, profiles: profiles.keys.sorted())
                }
                let before = profile.binding
                let changes = try profile.apply(settings, name: name)
                let outcome = ProfileSettingsOutcome(
                    profile: profile, changes: changes,
                    refreshTokenRedirected: profile.refreshToken != nil
                        && (before.tokenEndpoint != profile.binding.tokenEndpoint || before.clientID != profile.binding.clientID)
                )
                guard !changes.isEmpty else { throw Unchanged(outcome: outcome) }
                profiles[name] = profile
                return outcome
            }
        } catch let unchanged as Unchanged {
            return unchanged.outcome
        }
    }
}
