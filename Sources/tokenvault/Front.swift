import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// `tokenvault`: what users and apps run. It serves one command line itself, the one scripts
/// run over and over: `tokenvault token PROFILE` (no options) on a token that needs no refresh,
/// or, with TOKENVAULT_AGENT_SOCK set, on the agent's answer `ok TOKEN`.
/// Everything else (other subcommands, options, `--help`, a token to refresh, every failure and
/// every warning) it hands to the full command, `tokenvault-cli` beside it (`FullCommand`),
/// before writing anything, so that what is printed and the exit code are the full command's.
///
/// It links only the library: no swift-argument-parser, no Foundation, no async main, so the
/// concurrency runtime never starts. README ("Performance") has the figures.
@main
enum Front {
    static func main() {
        protectCrashes()
        guard let profile = servedProfile(in: CommandLine.arguments) else { FullCommand.run() }
        if let socket = AgentClient.socketFromEnvironment {
            // TOKENVAULT_AGENT_SOCK: the agent's token, or the full command asks again and reports.
            guard let token = try? AgentClient.token(for: profile, socket: socket) else { FullCommand.run() }
            token.withUnsafeBytes { StandardOutput.writeLine($0) }
            return
        }
        do {
            guard try serveToken(for: profile) else { FullCommand.run() }
        } catch {
            FullCommand.run()
        }
    }

    /// Before anything is read: no core dumps, and crash reports without memory contents, as
    /// the full command does (SECURITY.md, "Memory"). When core dumps cannot be turned off, the
    /// full command tries again and says so.
    static func protectCrashes() {
        do {
            try CrashDumps.disable()
        } catch {
            FullCommand.run()
        }
        #if DEBUG
        if getenv("SWIFT_BACKTRACE") != nil { return }
        #endif
        try? CrashDumps.installAddressOnlyCrashReports(label: "tokenvault")
    }

    /// The profile, when the command line is exactly `tokenvault token PROFILE` with a valid
    /// profile name, and nothing in the environment asks the full command to say more
    /// (TOKENVAULT_LOG_LEVEL); else `nil`. `--help` and `-h` are valid profile names, so anything
    /// that starts with `-` is the full command's parser's, as in its own fast path.
    static func servedProfile(in arguments: [String]) -> String? {
        guard arguments.count == 3, arguments[1] == "token", !arguments[2].hasPrefix("-"),
              ProfileName.isValid(arguments[2]) else { return nil }
        guard getenv("TOKENVAULT_LOG_LEVEL") == nil else { return nil }
        return arguments[2]
    }

    /// Prints the profile's access token and a newline when it needs no refresh and nothing was
    /// worth a warning on the way; `false` (nothing printed) otherwise. The vault and the key
    /// come from the environment as the full command finds them without options.
    static func serveToken(for profile: String) throws -> Bool {
        let configuration = try VaultConfiguration(logger: FrontLogging.logger)
        // The full command warns about a key source shadowed by another.
        guard configuration.shadowedKeySources.isEmpty else { return false }
        // A key command runs once, in the full command: run here too, it would run twice (and
        // print its errors twice) whenever the token needs a refresh.
        if case .command = configuration.keySource { return false }
        // A PostgreSQL vault is the full command's: libpq is loaded with dlopen, which a static
        // executable must not do with another build's glibc.
        guard configuration.address.fileLocation != nil else { return false }
        let snapshot = try configuration.store().read()
        guard let stored = snapshot.profiles[profile],
              let token = RefreshPolicy.tokenWithoutRefresh(of: stored, now: WallClock.now),
              !FrontLogging.spoke
        else { return false }
        token.withUnsafeBytes { StandardOutput.writeLine($0) }
        return true
    }
}
