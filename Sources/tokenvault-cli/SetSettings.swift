import ArgumentParser
import SystemPackage
import TokenVault

struct SetSettings: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change a profile's settings without importing its tokens again.",
        discussion: """
            Changes what import recorded besides the tokens: the token endpoint, client id, client \
            secret, auth method, resource, issuer and refresh-token lifetime, with the rules import \
            applies to the same values. The vault is re-sealed atomically under the writer lock; \
            tokens, refresh history and failure state are kept. Prints each setting that changed, \
            old → new (a client secret only as set or none). A new token endpoint or client id \
            makes the next refresh send the profile's refresh token there: tokenvault does it, and \
            says so, but only the server that issued the token can redeem it.
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Record how long refresh tokens live, when the server does not say:", "tokenvault set readonly --refresh-lifetime 30d"),
        ("Move a profile to a new token endpoint and client:",
         "tokenvault set admin --token-endpoint https://auth.example.com/oauth/token --client-id NEW_ID"),
        ("Make a confidential client public:", "tokenvault set admin --clear-client-secret --auth-method none"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.writingVault

    @OptionGroup var options: VaultOptions

    @Argument(help: "The profile to change.")
    var profile: String

    @Option(name: .long, help: ArgumentHelp("The authorization server's token endpoint (https, or http on loopback).", valueName: "url"))
    var tokenEndpoint: String?

    @Option(name: .long, help: ArgumentHelp("The OAuth client id.", valueName: "id"))
    var clientID: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the client secret (a 0600 file of yours).", valueName: "file"))
    var clientSecretFile: String?

    @Flag(name: .long, help: "Remove the client secret (a public client); goes with --auth-method none unless the method already is.")
    var clearClientSecret = false

    @Option(name: .long, help: ArgumentHelp("How the client authenticates: none, client_secret_basic or client_secret_post.", valueName: "method"))
    var authMethod: String?

    @Option(name: .long, help: ArgumentHelp("The MCP server's canonical URI, sent as resource (RFC 8707) with every refresh.", valueName: "uri"))
    var resource: String?

    @Flag(name: .long, help: "Send no resource with refreshes any more.")
    var clearResource = false

    @Option(name: .long, help: ArgumentHelp("The authorization server's issuer identifier.", valueName: "url"))
    var issuer: String?

    @Flag(name: .long, help: "Forget the issuer.")
    var clearIssuer = false

    @Option(name: .long, help: ArgumentHelp("How long a refresh token lives when the server does not say (e.g. 30d, 720h).", valueName: "duration"))
    var refreshLifetime: String?

    @Flag(name: .long, help: "Forget the refresh-token lifetime (and the expiry computed from it).")
    var clearRefreshLifetime = false

    func validate() throws {
        try ProfileArgument.validate(profile)
        let pairs = [
            ("--client-secret-file", clientSecretFile != nil, clearClientSecret),
            ("--resource", resource != nil, clearResource),
            ("--issuer", issuer != nil, clearIssuer),
            ("--refresh-lifetime", refreshLifetime != nil, clearRefreshLifetime),
        ]
        for (flag, given, cleared) in pairs where given && cleared {
            throw ValidationError("\(flag) and its --clear-… flag contradict each other; give one")
        }
        let anything = tokenEndpoint != nil || clientID != nil || authMethod != nil || pairs.contains { $0.1 || $0.2 }
        guard anything else {
            throw ValidationError("nothing to change: give at least one setting, e.g. --resource URI or --refresh-lifetime 30d")
        }
        if let authMethod, ClientAuthMethod(rawValue: authMethod) == nil {
            throw ValidationError("--auth-method must be one of none, client_secret_basic, client_secret_post")
        }
        if let refreshLifetime, DurationText.seconds(parsing: refreshLifetime) == nil {
            throw ValidationError("--refresh-lifetime: '\(refreshLifetime)' is not a duration like 30d, 720h or 3600s")
        }
        do {
            try settings(secret: nil).validate()
        } catch ProfileSettingsError.invalidURL(let setting, let problem) {
            throw ValidationError("--\(setting.split(separator: "_").joined(separator: "-")): \(problem)")
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The change asked for; the client secret is read only in `run`.
    private func settings(secret: Secret?) -> ProfileSettings {
        var settings = ProfileSettings()
        settings.tokenEndpoint = tokenEndpoint
        settings.clientID = clientID
        settings.authMethod = authMethod.flatMap(ClientAuthMethod.init(rawValue:))
        settings.clientSecret = secret.map { .set($0) } ?? (clearClientSecret ? .clear : nil)
        settings.resource = resource.map { .set($0) } ?? (clearResource ? .clear : nil)
        settings.issuer = issuer.map { .set($0) } ?? (clearIssuer ? .clear : nil)
        settings.refreshTokenLifetime = refreshLifetime.flatMap(DurationText.seconds(parsing:)).map { .set($0) }
            ?? (clearRefreshLifetime ? .clear : nil)
        return settings
    }

    func run() throws {
        let store = try options.store()
        let secret = try clientSecretFile.map { try SecretReader.readPrivateFile(FilePath($0)).trimmingWhitespace() }
        let outcome: ProfileSettingsOutcome
        do {
            outcome = try store.changeSettings(profile, settings(secret: secret))
        } catch let error as ProfileSettingsError {
            throw CommandFailure(message: error.description, hint: Self.hint(error), status: .usage)
        }
        guard !outcome.changes.isEmpty else {
            Reporter.note("profile '\(profile)' in \(store.address) already has these settings; nothing changed")
            return
        }
        var text = "changed profile '\(profile)' in \(store.address):\n"
        for change in outcome.changes {
            text += "  \(change.setting): \(change.old ?? "(none)") → \(change.new ?? "(none)")\n"
        }
        Output.write(text)
        if outcome.refreshTokenRedirected {
            let binding = outcome.profile.binding
            Reporter.warning("from the next refresh on, '\(profile)' sends its refresh token to \(binding.tokenEndpoint) as client \(binding.clientID), not where it was sent before: only the server that issued the token can redeem it, and whichever server receives it sees it")
        }
    }

    private static func hint(_ error: ProfileSettingsError) -> String? {
        switch error {
        case .secretRequired: return "pass --client-secret-file FILE, or --auth-method none for a public client"
        default: return nil
        }
    }
}
