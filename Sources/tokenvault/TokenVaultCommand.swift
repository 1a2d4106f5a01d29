import ArgumentParser
import TokenVault

struct TokenVaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenvault",
        abstract: "Keep OAuth tokens sealed, fresh and safe.",
        discussion: """
            TokenVault keeps access and refresh tokens in one vault file sealed with libsodium's \
            secretbox. The vault key comes from TOKENVAULT_KEY (the key text), TOKENVAULT_KEYFILE \
            (a path) or --keyfile, first match wins. Secrets are never taken from the command line.
            """,
        subcommands: [Keygen.self, Init.self, Import.self, Status.self, List.self, Remove.self]
    )
}

@main
enum Entry {
    static func main() async {
        do {
            var command = try TokenVaultCommand.parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as VaultError {
            Reporter.fail(error)
        } catch let failure as CommandFailure {
            Reporter.fail(failure.message, hint: failure.hint, status: failure.status)
        } catch {
            TokenVaultCommand.exit(withError: error)
        }
    }
}
