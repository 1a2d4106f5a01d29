import ArgumentParser
import TokenVault

struct Status: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each profile's token state.",
        discussion: """
            For each profile: whether the access token is valid and for how long, the refresh \
            token's age and expiry, the last refresh, whether re-authentication is required, and \
            the token endpoint. Tokens appear only as 8-hex-digit fingerprints. --json prints the \
            schema documented in README ("status --json").
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Show every profile:", "tokenvault status"),
        ("Fail a monitor when a profile needs a person within 10 days:", "tokenvault status --check --warn-days 10 >/dev/null || notify-ops"),
        ("List the profiles that are not ok:", "tokenvault status --json | jq -r '.profiles[] | select(.state != \"ok\") | .name'"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.openingVault + [.checkFailed]

    @OptionGroup var options: VaultOptions

    @Argument(help: "Show only this profile.")
    var profile: String?

    @Flag(name: .long, help: "Print JSON (a stable, documented schema) instead of a table.")
    var json = false

    @Flag(name: .long, help: "Exit 30 when any profile needs re-authentication, has a rejected client, has an expired access token it could not refresh, has a refresh token expiring within --warn-days, or may hold a spent refresh token (a restored vault, a forced stale import).")
    var check = false

    @Option(name: .long, help: ArgumentHelp("With --check: how many days before a refresh token's expiry to start failing.", valueName: "days"))
    var warnDays: Int = 7

    func validate() throws {
        if let profile { try ProfileArgument.validate(profile) }
        guard warnDays >= 0 && warnDays <= 3650 else { throw ValidationError("--warn-days must be between 0 and 3650") }
    }

    func run() throws {
        let store = try options.store()
        let snapshot = try store.read()
        let now = WallClock.now
        // A vault older than what this host last wrote was restored from an older copy.
        let highest = store.highestGenerationWritten()
        let restored = VaultHistory(generation: snapshot.generation, highestWritten: highest)
        var names = snapshot.profiles.keys.sorted()
        if let profile {
            guard snapshot.profiles[profile] != nil else {
                throw VaultError.profileMissing(profile: profile, path: store.address.description, profiles: names)
            }
            names = [profile]
        }
        let profiles = names.map { ($0, snapshot.profiles[$0]!) }
        let window = Int64(warnDays) * 86_400
        let problems = check ? profiles.flatMap { name, profile in
            ProfileHealth.problems(of: profile, now: now, warnWithin: window, vaultRestored: restored.isRestored).map { (name, $0) }
        } : []
        if json {
            print(Self.json(snapshot: snapshot, location: store.address, profiles: profiles, now: now,
                            history: restored, check: check ? (warnDays, problems) : nil))
        } else {
            print(Self.table(snapshot: snapshot, location: store.address, profiles: profiles, now: now, history: restored, selection: options.selection), terminator: "")
            if check { print(Self.checkReport(problems, profiles: profiles, warnDays: warnDays, selection: options.selection), terminator: "") }
        }
        if !problems.isEmpty { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }

    static func describe(_ problem: ProfileHealth.Problem) -> String {
        switch problem {
        case .reauthenticationRequired: return "refresh token refused: re-authenticate and re-import"
        case .clientRejected: return "OAuth client refused: register again and re-import"
        case .expiredUnrefreshed: return "access token expired and the last refresh failed"
        case .refreshTokenExpiring(let remaining):
            return remaining > 0 ? "refresh token expires in \(Describe.duration(remaining)): re-authenticate before then" : "refresh token expired: re-authenticate and re-import"
        case .refreshTokenPossiblySpent(let suspicion):
            return "refresh token may be spent: \(describe(suspicion))"
        }
    }

    static func checkReport(
        _ problems: [(String, ProfileHealth.Problem)], profiles: [(String, TokenProfile)], warnDays: Int, selection: VaultSelection
    ) -> String {
        var out = ""
        for (name, problem) in problems {
            out += "check: \(name): \(describe(problem))"
            // A refused or expired refresh token: only a new sign-in helps, and the line that imports it.
            if needsSignIn(problem), let profile = profiles.first(where: { $0.0 == name })?.1 {
                out += "; \(ReauthenticationCommand.advice(name, profile, selection: selection))"
            }
            out += "\n"
        }
        for (name, profile) in profiles where profile.refreshToken != nil && profile.refreshTokenExpiresAt == nil {
            out += "check: \(name): refresh token expiry unknown (the server sent none; track it with 'tokenvault set \(name) --refresh-lifetime 30d')\n"
        }
        out += problems.isEmpty ? "check: ok (warning \(warnDays) day\(warnDays == 1 ? "" : "s") before refresh tokens expire)\n" : "check: \(problems.count) problem\(problems.count == 1 ? "" : "s")\n"
        return out
    }

    /// Whether only a new sign-in fixes it: a refused or an expired refresh token.
    static func needsSignIn(_ problem: ProfileHealth.Problem) -> Bool {
        switch problem {
        case .reauthenticationRequired: return true
        case .refreshTokenExpiring(let remaining): return remaining <= 0
        default: return false
        }
    }

    static func describe(_ suspicion: ProfileHealth.SpentSuspicion) -> String {
        switch suspicion {
        case .vaultRestored: return "the vault was restored from an older copy, and a refresh since that copy rotated it"
        case .restoreRecorded(let at): return "a write \(Describe.ago(at, now: WallClock.now)) found the vault restored from an older copy"
        case .spentTokenHeld: return "the profile had already rotated away from this refresh token before it was imported again"
        }
    }

    static func stateWord(_ profile: TokenProfile, history: VaultHistory) -> String {
        let state = profile.refreshState
        if state.reauthenticationRequired { return "reauth-required" }
        if state.clientRejected { return "client-rejected" }
        if ProfileHealth.spentSuspicion(of: profile, vaultRestored: history.isRestored) != nil { return "possibly-spent" }
        if state.consecutiveFailures > 0 { return "failing" }
        return "ok"
    }

    static func table(
        snapshot: VaultSnapshot, location: VaultAddress, profiles: [(String, TokenProfile)], now: UnixTime, history: VaultHistory,
        selection: VaultSelection
    ) -> String {
        var out = "vault \(location)  generation \(snapshot.generation)  key id \(snapshot.sealedWith)"
        if !snapshot.sealedWithCurrentKey {
            out += " (an older key: re-sealed under the first key at the next write)"
        }
        out += "\n"
        if history.isRestored, let highest = history.highestWritten {
            out += "this host last wrote generation \(highest): the vault was restored from an older copy, and refresh tokens rotated since that copy are spent\n"
        }
        guard !profiles.isEmpty else { return out + "no profiles; add one with 'tokenvault import PROFILE …'\n" }
        var rows = [["PROFILE", "ACCESS TOKEN", "REFRESH TOKEN", "LAST REFRESH", "STATE", "TOKEN ENDPOINT"]]
        for (name, profile) in profiles {
            var refresh = "none"
            if let token = profile.refreshToken {
                refresh = "age \(Describe.duration(now.clampedSubtracting(profile.refreshTokenIssuedAt)))"
                if let expiry = profile.refreshTokenExpiresAt {
                    refresh += expiry > now ? ", expires in \(Describe.duration(expiry.clampedSubtracting(now)))" : ", expired"
                }
                refresh += " fp:\(token.fingerprint)"
            }
            let access = Describe.access(profile, now: now) + (profile.accessToken.map { " fp:\($0.fingerprint)" } ?? "")
            // A vault written before the URL rules may hold anything a server sent: cleaned here.
            rows.append([name, access, refresh, Describe.ago(profile.refreshedAt, now: now), stateWord(profile, history: history),
                         PrintableText.clean(profile.binding.tokenEndpoint, limit: nil)])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }
            out += cells.joined(separator: "  ") + "\n"
        }
        for (name, profile) in profiles {
            if profile.refreshState.reauthenticationRequired {
                out += "\(name): MCP authentication failed: refresh token expired or revoked; \(ReauthenticationCommand.advice(name, profile, selection: selection))\n"
            } else if let error = profile.refreshState.lastError {
                out += "\(name): last refresh error: \(PrintableText.clean(error, limit: nil))\n"
            }
            if let suspicion = ProfileHealth.spentSuspicion(of: profile, vaultRestored: history.isRestored) {
                out += "\(name): refresh token may be spent: \(describe(suspicion)); 'tokenvault refresh \(name) --force' finds out (a spent one ends in reauth-required), or re-import the profile from a new sign-in\n"
            }
            if let spent = profile.refreshState.ambiguousSpendAt {
                out += "\(name): a refresh \(Describe.ago(spent, now: now)) got no usable answer; the server may have rotated the refresh token without tokenvault hearing of it\n"
            }
        }
        return out
    }

    static func json(
        snapshot: VaultSnapshot, location: VaultAddress, profiles: [(String, TokenProfile)], now: UnixTime,
        history: VaultHistory, check: (warnDays: Int, problems: [(String, ProfileHealth.Problem)])? = nil
    ) -> String {
        var out = JSONOutput()
        out.beginObject()
        out.field("schema", .integer(1))
        out.field("vault", .string(location.description))
        out.field("generation", .unsigned(snapshot.generation))
        out.field("sealed_with_key_id", .string(snapshot.sealedWith.description))
        out.field("sealed_with_current_key", .bool(snapshot.sealedWithCurrentKey))
        out.field("highest_generation_written", .unsigned(history.highestWritten))
        out.field("restored", .bool(history.isRestored))
        out.field("now", .integer(now))
        out.beginArray("profiles")
        for (name, profile) in profiles {
            out.beginObject()
            out.field("name", .string(name))
            out.field("state", .string(stateWord(profile, history: history)))
            out.beginObject("access_token")
            let (word, remaining) = accessSummary(profile, now: now)
            out.field("state", .string(word))
            out.field("expires_at", .integer(profile.expiresAt))
            out.field("expires_in", .integer(remaining))
            out.field("fingerprint", .string(profile.accessToken?.fingerprint))
            out.endObject()
            out.beginObject("refresh_token")
            out.field("present", .bool(profile.refreshToken != nil))
            out.field("fingerprint", .string(profile.refreshToken?.fingerprint))
            out.field("issued_at", .integer(profile.refreshTokenIssuedAt))
            out.field("age_seconds", .integer(now.clampedSubtracting(profile.refreshTokenIssuedAt)))
            out.field("expires_at", .integer(profile.refreshTokenExpiresAt))
            out.field("expires_in", .integer(profile.refreshTokenExpiresAt.map { $0.clampedSubtracting(now) }))
            out.field("expiry_known", .bool(profile.refreshTokenExpiresAt != nil))
            let suspicion = ProfileHealth.spentSuspicion(of: profile, vaultRestored: history.isRestored)
            out.field("possibly_spent", .bool(suspicion != nil))
            out.field("possibly_spent_reason", .string(suspicion?.code))
            out.endObject()
            out.field("token_type", .string(profile.tokenType))
            out.field("scope", .string(profile.scope))
            out.field("imported_at", .integer(profile.importedAt))
            out.field("last_refreshed_at", .integer(profile.refreshedAt))
            let state = profile.refreshState
            out.field("reauth_required", .bool(state.reauthenticationRequired))
            out.field("client_rejected", .bool(state.clientRejected))
            out.field("last_error", .string(state.lastError))
            out.field("last_error_at", .integer(state.lastErrorAt))
            out.field("consecutive_failures", .integer(state.consecutiveFailures))
            out.field("retry_after", .integer(state.retryAfter))
            out.field("ambiguous_spend_at", .integer(state.ambiguousSpendAt))
            out.field("rolled_back_at", .integer(state.rolledBackAt))
            out.field("token_endpoint", .string(profile.binding.tokenEndpoint))
            out.field("client_id", .string(profile.binding.clientID))
            out.field("auth_method", .string(profile.binding.authMethod.rawValue))
            out.field("resource", .string(profile.binding.resource))
            out.field("issuer", .string(profile.binding.issuer))
            out.endObject()
        }
        out.endArray()
        if let check {
            out.beginObject("check")
            out.field("ok", .bool(check.problems.isEmpty))
            out.field("warn_days", .integer(Int64(check.warnDays)))
            out.beginArray("problems")
            for (name, problem) in check.problems {
                out.beginObject()
                out.field("profile", .string(name))
                out.field("problem", .string(problem.code))
                out.field("detail", .string(describe(problem)))
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
        out.endObject()
        return out.text
    }

    /// The access token's state word for JSON and the seconds it has left (negative once expired).
    static func accessSummary(_ profile: TokenProfile, now: UnixTime) -> (String, Int64?) {
        switch RefreshPolicy.accessState(of: profile, now: now) {
        case .missing: return ("missing", nil)
        case .unknownExpiry: return ("unknown_expiry", nil)
        case .valid(let remaining): return ("valid", remaining)
        case .refreshDue(let remaining): return ("refresh_due", remaining)
        case .expired(let since): return ("expired", -since)
        }
    }
}
