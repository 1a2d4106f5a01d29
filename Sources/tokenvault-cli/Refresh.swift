import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

struct Refresh: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Refresh one profile or all of them now.",
        discussion: """
            Refreshes a profile whose access token is expired or inside the refresh margin; \
            --force refreshes even a fresh one and ignores back-off after failures. Runs from \
            cron to keep refresh tokens from expiring unused. The exit code is that of the first \
            failure (README, "Exit codes").
            """
    )

    @OptionGroup var options: VaultOptions

    @Argument(help: "The profile to refresh.")
    var profile: String?

    @Flag(name: .long, help: "Refresh every profile.")
    var all = false

    @Flag(name: .long, help: "Refresh even when the access token is still fresh.")
    var force = false

    func validate() throws {
        guard (profile != nil) != all else { throw ValidationError("name one profile, or pass --all") }
        if let profile { try ProfileArgument.validate(profile) }
    }

    func run() async throws {
        let tokens = try options.tokenManager()
        let names = all ? try tokens.store.read().profiles.keys.sorted() : [profile!]
        var firstFailure: Error?
        for name in names {
            do {
                let before = try tokens.currentProfile(name)
                let after = try await tokens.refresh(name, force: force)
                let rotated = before.refreshToken.map { old in after.refreshToken.map { !$0.isEqual(to: old) } ?? false } ?? false
                let changed = before.accessToken.map { old in after.accessToken.map { !$0.isEqual(to: old) } ?? true } ?? true
                let now = WallClock.now
                Reporter.note("\(name): \(changed ? "refreshed" : "still fresh, not refreshed"); access token \(Describe.access(after, now: now))\(rotated ? ", refresh token rotated" : "")")
            } catch {
                firstFailure = firstFailure ?? error
                Reporter.error(Failure.message(error), hint: Failure.hint(error))
            }
        }
        if let firstFailure { throw ExitCode(Failure.status(firstFailure).rawValue) }
    }
}
