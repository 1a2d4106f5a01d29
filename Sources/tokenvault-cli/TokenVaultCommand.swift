import ArgumentParser
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

struct TokenVaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenvault",
        abstract: "Keep OAuth tokens sealed, fresh and safe.",
        discussion: """
            TokenVault keeps access and refresh tokens in one vault file sealed with libsodium's \
            secretbox. The vault key comes from --keyfile, TOKENVAULT_KEY (the key text), \
            TOKENVAULT_KEYFILE (a path) or the default keyfile ~/.config/tokenvault/key, first \
            match wins. Secrets are never taken from the command line.
            """,
        version: TokenVaultVersion.current,
        subcommands: [Keygen.self, Init.self, Login.self, Import.self, SetSettings.self, Token.self, Refresh.self, Exec.self, Status.self, List.self, Remove.self, RotateKey.self, Copy.self, Audit.self, KeyfileCommand.self, Agent.self]
    )
}

@main
enum Entry {
    static func main() async {
        protectCrashes()
        do {
            // Parsing costs about as much as the rest of `tokenvault token PROFILE` on a valid
            // token; that line runs as the parsed command would, without the parser.
            if let profile = Token.unparsedProfile(in: CommandLine.arguments) {
                try await Token.printToken(for: profile, rejected: false, from: VaultSelection())
                return
            }
            var command = try TokenVaultCommand.parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as any ReportedError {
            Reporter.fail(error.message, hint: error.hint, status: error.status)
        } catch {
            HelpPage.exit(withError: error)
        }
    }

    /// Before anything is read: no core dumps, and crash reports without memory contents
    /// (SECURITY.md, "Memory"). A debug build leaves crashes to Swift's backtracer when
    /// SWIFT_BACKTRACE is set, for developers with test tokens; a release build never does.
    static func protectCrashes() {
        do {
            try CrashDumps.disable()
        } catch {
            Reporter.warning("cannot turn core dumps off (\(error)); run 'ulimit -c 0' before tokenvault")
        }
        #if DEBUG
        if getenv("SWIFT_BACKTRACE") != nil { return }
        #endif
        try? CrashDumps.installAddressOnlyCrashReports(label: "tokenvault")
    }
}
