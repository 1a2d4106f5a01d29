import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

struct Refresh: AsyncParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Refresh one profile or all of them now.",
        discussion: """
            Refreshes a profile whose access token is expired or inside the refresh margin; \
            --force refreshes even a fresh one and ignores back-off after failures. Runs from \
            cron to keep refresh tokens from expiring unused. Each line on stderr starts with \
            the time in UTC (ISO 8601); --quiet prints only the failures. Goes on after a failure \
            and exits with the first failure's code.
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Refresh every profile that is due, from cron, printing only failures:", "tokenvault refresh --all --quiet"),
        ("Refresh one profile now, even if its token is fresh:", "tokenvault refresh readonly --force"),
        ("Report each profile's outcome as JSON:", "tokenvault refresh --all --json"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.refreshing

    @OptionGroup var options: VaultOptions

    @Argument(help: "The profile to refresh.")
    var profile: String?

    @Flag(name: .long, help: "Refresh every profile.")
    var all = false

    @Flag(name: .long, help: "Refresh even when the access token is still fresh.")
    var force = false

    @Flag(name: .long, help: "Print only failures (for cron); the exit code is the same.")
    var quiet = false

    @Flag(name: .long, help: "Print each profile's outcome as JSON on stdout (schema: README, \"--json of list, import, refresh and rotate-key\").")
    var json = false

    func validate() throws {
        guard (profile != nil) != all else { throw ValidationError("name one profile, or pass --all") }
        if let profile { try ProfileArgument.validate(profile) }
    }

    /// One profile's outcome, for the log line and the JSON.
    struct Outcome {
        let name: String
        let time: UnixTime
        let result: Result<(refreshed: Bool, rotated: Bool, profile: TokenProfile), Error>
    }

    func run() async throws {
        let tokens = try options.tokenManager()
        let names = all ? try tokens.store.read().profiles.keys.sorted() : [profile!]
        var outcomes: [Outcome] = []
        for name in names {
            let outcome: Outcome
            do {
                let before = try tokens.currentProfile(name)
                let after = try await tokens.refresh(name, force: force)
                let rotated = before.refreshToken.map { old in after.refreshToken.map { !$0.isEqual(to: old) } ?? false } ?? false
                let changed = before.accessToken.map { old in after.accessToken.map { !$0.isEqual(to: old) } ?? true } ?? true
                outcome = Outcome(name: name, time: WallClock.now, result: .success((changed, rotated, after)))
            } catch {
                // A missing profile or one to re-authenticate: the hint worded from what the vault holds.
                let reported = ProfileFailure.reported(error, profile: name, tokens: tokens, selection: options.selection, offeringImport: false)
                outcome = Outcome(name: name, time: WallClock.now, result: .failure(reported))
            }
            report(outcome)
            outcomes.append(outcome)
        }
        if json { print(Self.json(outcomes, vault: tokens.store.address)) }
        for case .failure(let error) in outcomes.lazy.map(\.result) { throw ExitCode(Failure.status(error).rawValue) }
    }

    /// The outcome on stderr, each line starting with its time so that a cron log reads on its own.
    private func report(_ outcome: Outcome) {
        switch outcome.result {
        case .success(let (refreshed, rotated, profile)):
            guard !quiet else { return }
            Reporter.note("\(outcome.name): \(refreshed ? "refreshed" : "still fresh, not refreshed"); access token \(Describe.access(profile, now: outcome.time))\(rotated ? ", refresh token rotated" : "")", at: outcome.time)
        case .failure(let error):
            Reporter.error(Failure.message(error), hint: Failure.hint(error), at: outcome.time)
        }
    }

    static func json(_ outcomes: [Outcome], vault: VaultAddress) -> String {
        var out = JSONOutput()
        out.beginObject()
        out.field("schema", .integer(1))
        out.field("vault", .string(vault.description))
        out.beginArray("profiles")
        for outcome in outcomes {
            out.beginObject()
            out.field("name", .string(outcome.name))
            out.field("at", .integer(outcome.time))
            switch outcome.result {
            case .success(let (refreshed, rotated, profile)):
                out.field("outcome", .string(refreshed ? "refreshed" : "fresh"))
                out.field("access_token_expires_at", .integer(profile.expiresAt))
                out.field("refresh_token_rotated", .bool(rotated))
                out.field("error", .string(nil))
                out.field("hint", .string(nil))
                out.field("exit_status", .integer(0))
            case .failure(let error):
                out.field("outcome", .string("failed"))
                out.field("access_token_expires_at", .integer(nil))
                out.field("refresh_token_rotated", .bool(false))
                out.field("error", .string(Failure.message(error)))
                out.field("hint", .string(Failure.hint(error)))
                out.field("exit_status", .integer(Int64(Failure.status(error).rawValue)))
            }
            out.endObject()
        }
        out.endArray()
        out.endObject()
        return out.text
    }
}
