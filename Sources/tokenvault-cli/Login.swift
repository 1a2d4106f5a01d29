import ArgumentParser
import SystemPackage
import TokenVault

struct Login: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign in to an MCP server and seal the new token chain in a profile.",
        discussion: """
            Runs the MCP authorization flow itself: finds the authorization server through the MCP \
            server's metadata (RFC 9728, RFC 8414), registers TokenVault as a client when the server \
            offers registration (RFC 7591) unless --client-id is given, and signs in with an \
            authorization code and PKCE S256, redirected to a one-time listener on 127.0.0.1. It \
            opens the browser ($BROWSER, else xdg-open) and always prints the address on stderr. \
            With --no-browser it prints the address and reads the address the browser was sent to \
            afterwards, pasted at a prompt without echo. The tokens and the client are sealed in \
            the profile in one write; a profile of that name is replaced. Nothing is written when \
            the sign-in fails.
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Sign in, registering TokenVault as a client:", "tokenvault login readonly --server https://mcp.example.com/mcp"),
        ("Sign in with a pre-registered client, on a machine without a browser:",
         "tokenvault login admin --server https://mcp.example.com/mcp --client-id ID --no-browser"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.writingVault + [
        .invalidInput, .reauthenticationRequired, .clientRejected, .configurationRejected, .transient, .signInIncomplete,
    ]

    @OptionGroup var options: VaultOptions

    @Argument(help: "The profile name, e.g. readonly or admin.")
    var profile: String

    @Option(name: .long, help: ArgumentHelp("The MCP server's URL (e.g. https://mcp.example.com/mcp).", valueName: "url"))
    var server: String

    @Option(name: .long, help: ArgumentHelp("A pre-registered OAuth client id, with http://127.0.0.1/callback (any port) as a redirect URI. Without it TokenVault registers itself as a public client.", valueName: "id"))
    var clientID: String?

    @Option(name: .long, help: ArgumentHelp("With --client-id: a file holding the client secret, for confidential clients.", valueName: "file"))
    var clientSecretFile: String?

    @Option(name: .long, help: ArgumentHelp("With --client-id: none, client_secret_basic or client_secret_post. Defaults to none for public clients and client_secret_basic with a secret.", valueName: "method"))
    var authMethod: String?

    @Option(name: .long, help: ArgumentHelp("The scope to ask for. Defaults to the scopes the MCP server's metadata lists.", valueName: "scope"))
    var scope: String?

    @Option(name: .long, help: ArgumentHelp("How long to wait for the sign-in in the browser (e.g. 5m, 90s).", valueName: "duration"))
    var timeout = "5m"

    @Flag(name: .long, help: "Open no browser: print the address, then read the address the browser was sent to, pasted at a prompt without echo.")
    var noBrowser = false

    func validate() throws {
        try ProfileArgument.validate(profile)
        do { _ = try EndpointURL(server) } catch { throw ValidationError("--server: \(error)") }
        if let authMethod, ClientAuthMethod(rawValue: authMethod) == nil {
            throw ValidationError("--auth-method must be one of none, client_secret_basic, client_secret_post")
        }
        if clientID == nil, clientSecretFile != nil || authMethod != nil {
            throw ValidationError("--client-secret-file and --auth-method go with --client-id")
        }
        if clientID?.isEmpty == true { throw ValidationError("--client-id must not be empty") }
        if let method = authMethod.flatMap(ClientAuthMethod.init(rawValue:)), method != .none, clientSecretFile == nil {
            throw ValidationError("--auth-method \(method.rawValue) needs --client-secret-file FILE")
        }
        guard timeoutSeconds != nil else {
            throw ValidationError("--timeout: '\(timeout)' is not a duration like 5m or 90s (at most 24h)")
        }
    }

    /// `--timeout` in seconds; `nil` when it is not a duration of at most a day.
    private var timeoutSeconds: Int? {
        DurationText.seconds(parsing: timeout).flatMap { $0 <= 86_400 ? Int($0) : nil }
    }

    func run() throws {
        let store = try options.store()
        // The vault must open before anyone signs in: a sign-in lost to a wrong key is wasted.
        _ = try store.read()
        let client = try clientSecretFile.map { try SecretReader.readPrivateFile(FilePath($0)).trimmingWhitespace() }
        let given = clientID.map {
            LoginSession.Client(clientID: $0, clientSecret: client, authMethod: authMethod.flatMap(ClientAuthMethod.init(rawValue:)))
        }
        let seconds = timeoutSeconds ?? 300
        // TOKENVAULT_HTTP_TIMEOUT caps each request of the sign-in, as it caps a refresh.
        let limits = try options.selection.configuration().limits
        let tokens: ImportedTokens
        let session: LoginSession
        do {
            session = try LoginSession(server: server, client: given, scope: scope, listening: !noBrowser, limits: limits)
            if session.registered {
                Reporter.note("registered TokenVault as client \(session.binding.clientID) of \(PrintableText.clean(session.discovered.issuer, limit: nil))")
            }
            Reporter.note("to sign in to \(server) as profile '\(profile)', open this address in a browser:\n\(session.authorizationURL)")
            if noBrowser {
                tokens = try session.complete(pasted: readPastedAddress(redirectURI: session.redirectURI))
            } else {
                let page = Browser.open(session.authorizationURL)
                defer { page?.remove() }
                Reporter.note("waiting for the sign-in (at most \(seconds) s; Ctrl-C gives up)")
                tokens = try session.awaitRedirect(timeout: seconds)
            }
        } catch let error as LoginError {
            throw failure(error)
        }
        let now = tokens.issuedAt ?? WallClock.now
        let outcome = try store.importProfile(profile, TokenProfile(imported: tokens, binding: session.binding, now: now))
        let record = outcome.profile
        Reporter.note("signed in: \(outcome.replaced ? "replaced" : "created") profile '\(profile)' in \(store.address): access token \(Describe.access(record, now: now)), refresh token \(record.refreshToken.map { "fp:" + $0.fingerprint } ?? "none"), client \(record.binding.clientID)")
        if tokens.refreshToken == nil {
            Reporter.warning("the server issued no refresh token: profile '\(profile)' works until the access token expires, then needs another 'tokenvault login'")
        }
    }

    /// The redirected-to address, pasted at a prompt without echo: it carries the code.
    private func readPastedAddress(redirectURI: String) throws -> Secret {
        Reporter.note("after signing in, the browser is sent to \(redirectURI)?… (a page that does not load here); copy that whole address from its address bar")
        let pasted = try Terminal.withoutEcho { terminal in
            try terminal.readLine(prompt: "address the browser was sent to (not echoed): ")
        }
        guard let pasted, !pasted.trimmingWhitespace().isEmpty else {
            throw CommandFailure(
                message: "no address was pasted for profile '\(profile)'; nothing was written",
                hint: "run 'tokenvault login \(profile) --server \(server) --no-browser' again and paste the address the browser shows after signing in",
                status: .invalidInput
            )
        }
        return pasted
    }

    /// A failed sign-in in the command's words: the profile and server, the cause, what to type.
    private func failure(_ error: LoginError) -> CommandFailure {
        let again = "tokenvault login \(profile) --server \(server)\(noBrowser ? " --no-browser" : "")"
        let message = "cannot sign in to \(server) for profile '\(profile)': \(error.description); nothing was written"
        func fail(_ status: ExitStatus, _ hint: String) -> CommandFailure { CommandFailure(message: message, hint: hint, status: status) }
        switch error {
        case .discovery(let discovery):
            if case .unreachable = discovery { return fail(.transient, "check the network and retry '\(again)'") }
            return fail(.configurationRejected, "check that --server is the MCP server's address (e.g. https://mcp.example.com/mcp)")
        case .noPKCE, .noAuthorizationEndpoint:
            return fail(.configurationRejected, "sign in with the server's own client and bring the tokens in with 'tokenvault import \(profile) --server \(server) …'")
        case .noClient:
            return fail(.usage, "ask the server's operator for a client id whose redirect URI is http://127.0.0.1/callback and pass --client-id ID")
        case .listener:
            return fail(.internalError, "retry '\(again)'; or use --no-browser")
        case .timedOut:
            return fail(.signInIncomplete, "run '\(again)' again and finish the sign-in in the browser within --timeout (now \(timeout))")
        case .authorization(let step):
            switch step {
            case .registrationRefused:
                return fail(.clientRejected, "ask the server's operator for a client id whose redirect URI is http://127.0.0.1/callback and pass --client-id ID")
            case .registrationMalformed, .exchangeMalformed:
                return fail(.configurationRejected, "retry '\(again)'; if it keeps failing, register a client with the server's operator and pass --client-id ID")
            case .unreachable:
                return fail(.transient, "check the network and retry '\(again)'")
            case .errorRedirect(let code, _):
                if code == "access_denied" { return fail(.signInIncomplete, "run '\(again)' and allow access in the browser") }
                return fail(.signInIncomplete, "check --scope and the client, then run '\(again)'")
            case .wrongState, .wrongIssuer, .missingCode:
                return fail(.signInIncomplete, "run '\(again)' and finish the sign-in in the tab it opens (close the tabs of earlier sign-ins)")
            case .notARedirect:
                return fail(.invalidInput, "run '\(again)' and paste the whole address from the browser's address bar, starting http://127.0.0.1:")
            case .exchangeRefused(let refusal, _):
                switch refusal {
                case .codeRejected: return fail(.reauthenticationRequired, "sign in again: '\(again)'")
                case .clientRejected:
                    return fail(.clientRejected, clientID == nil ? "retry '\(again)', which registers a new client" : "check --client-id, --client-secret-file and --auth-method with the server's operator")
                case .configuration: return fail(.configurationRejected, "check --server and --scope, then retry '\(again)'")
                case .transient: return fail(.transient, "retry '\(again)' later")
                }
            }
        }
    }
}
