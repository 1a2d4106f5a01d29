import ArgumentParser
import SystemPackage
import TokenVault

struct Import: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a profile's tokens into the vault.",
        discussion: """
            Reads token JSON from stdin: what MCP Inspector shows under "Access Tokens" \
            (access_token, token_type, expires_in, scope, refresh_token; the "Registered Client \
            Information" members client_id, client_secret and token_endpoint_auth_method may be \
            merged in), or the old plaintext shape (access_token, refresh_token, expires_at, \
            created_at). On a terminal it prompts for the tokens without echo. --from reads an old \
            plaintext file instead. --from-client reads the token store an MCP client keeps in \
            plaintext (MCP Inspector 2.x, mcp-remote, Claude Code) at its default path, or the copy \
            --from names, and takes the chain for --server; the client's files are never changed. \
            Importing over an existing profile replaces it (that is how a \
            re-authenticated profile comes back). After importing, stop every other client (MCP \
            Inspector, the old app) from refreshing the same token chain: the next refresh rotates it.
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Import MCP Inspector's Access Tokens JSON, finding the token endpoint through the server:",
         "xclip -selection clipboard -o | tokenvault import readonly --server https://mcp.example.com/mcp --client-id ID"),
        ("Import the old app's plaintext file, then overwrite and delete it:",
         "tokenvault import admin --from .mcp_tokens_admin.json --remove-plaintext --token-endpoint https://auth.example.com/oauth/token --client-id ID --resource https://mcp.example.com/mcp"),
        ("Import the chain MCP Inspector 2.x keeps for a server in ~/.mcp-inspector/storage/oauth.json:",
         "tokenvault import readonly --from-client inspector --server https://mcp.example.com/mcp"),
        ("Import what mcp-remote keeps for a server (its files are named by a hash of the URL):",
         "tokenvault import admin --from-client mcp-remote --server https://mcp.example.com/mcp"),
        ("Say what was imported as JSON:", "tokenvault import readonly --server https://mcp.example.com/mcp --json < tokens.json"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.writingVault + [.invalidInput, .configurationRejected, .transient, .staleInput]

    @OptionGroup var options: VaultOptions

    @Argument(help: "The profile name, e.g. readonly or admin.")
    var profile: String

    @Option(name: .long, help: ArgumentHelp("The authorization server's token endpoint (https, or http on loopback).", valueName: "url"))
    var tokenEndpoint: String?

    @Option(name: .long, help: ArgumentHelp("The MCP server's URL (e.g. https://mcp.example.com/mcp): find the token endpoint, issuer and resource through its OAuth metadata (RFC 9728, RFC 8414) instead of --token-endpoint.", valueName: "url"))
    var server: String?

    @Option(name: .long, help: ArgumentHelp("The OAuth client id. Defaults to client_id in the input.", valueName: "id"))
    var clientID: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the client secret, for confidential clients.", valueName: "file"))
    var clientSecretFile: String?

    @Option(name: .long, help: ArgumentHelp("How the client authenticates: none, client_secret_basic or client_secret_post. Defaults to the input's token_endpoint_auth_method, else none for public clients and client_secret_basic with a secret.", valueName: "method"))
    var authMethod: String?

    @Option(name: .long, help: ArgumentHelp("The MCP server's canonical URI, sent as resource (RFC 8707) with every refresh.", valueName: "uri"))
    var resource: String?

    @Option(name: .long, help: ArgumentHelp("The authorization server's issuer identifier.", valueName: "url"))
    var issuer: String?

    @Option(name: .long, help: ArgumentHelp("How long a refresh token lives when the server does not say (e.g. 30d, 720h), for expiry warnings.", valueName: "duration"))
    var refreshLifetime: String?

    @Option(name: .long, help: ArgumentHelp("Read an old plaintext token file instead of stdin; with --from-client, a copy of the client's store.", valueName: "file"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("Read the token store of an MCP client: inspector (MCP Inspector 2.x), mcp-remote or claude-code. --server picks the server's chain; the store's file is left as it is.", valueName: "client"))
    var fromClient: MCPClient?

    @Flag(name: .long, help: "With --from: overwrite and delete the plaintext file once the vault is safely written.")
    var removePlaintext = false

    @Flag(name: .long, help: "Also print what was imported as JSON on stdout (schema: README, \"--json of list, import, refresh and rotate-key\").")
    var json = false

    @Flag(name: .long, help: "Import even tokens that look older than the profile's: a refresh token the vault has already rotated away from, or a created_at before the profile's current refresh token. Such a token is usually spent.")
    var force = false

    func validate() throws {
        try ProfileArgument.validate(profile)
        if let fromClient {
            if removePlaintext {
                throw ValidationError("--remove-plaintext cannot go with --from-client: tokenvault never changes another program's files, and \(fromClient.name) would break on a store changed behind its back; once imported, stop \(fromClient.name) from using the chain instead")
            }
        } else {
            guard (tokenEndpoint == nil) != (server == nil) else {
                throw ValidationError("give either --token-endpoint URL or --server URL")
            }
        }
        do {
            if let tokenEndpoint { _ = try EndpointURL(tokenEndpoint) }
            if let server { _ = try EndpointURL(server) }
        } catch {
            throw ValidationError("\(tokenEndpoint != nil ? "--token-endpoint" : "--server"): \(error)")
        }
        for (flag, value) in [("--resource", resource), ("--issuer", issuer)] {
            guard let value else { continue }
            do { _ = try EndpointURL(value) } catch { throw ValidationError("\(flag): \(error)") }
        }
        if let authMethod, ClientAuthMethod(rawValue: authMethod) == nil {
            throw ValidationError("--auth-method must be one of none, client_secret_basic, client_secret_post")
        }
        if let refreshLifetime, DurationText.seconds(parsing: refreshLifetime) == nil {
            throw ValidationError("--refresh-lifetime: '\(refreshLifetime)' is not a duration like 30d, 720h or 3600s")
        }
        if removePlaintext && from == nil {
            throw ValidationError("--remove-plaintext goes with --from FILE")
        }
    }

    func run() throws {
        if let fromClient { return try importFromClient(fromClient) }
        guard let from else {
            let imported = try importProfile { Terminal.standardInputIsTerminal ? try TokenInput.prompt() : try TokenInput.readStandardInput() }
            if json { print(imported.json(plaintextRemoved: false)) }
            return
        }
        var plaintext = try TokenInput.openPlaintextFile(FilePath(from), forRemoval: removePlaintext)
        let tokens = try TokenInput.readPlaintextFile(&plaintext)
        // The file may be rewritten while the import waits for the writer lock (an old app that
        // refreshed): then the tokens read may be spent, and the file holds the newer ones.
        let imported = try importProfile(reading: { tokens }, stillCurrent: {
            do {
                try plaintext.checkUnchanged()
            } catch FileError.plaintextKept(_, .changed) {
                throw CommandFailure(
                    message: "\(from) changed after it was read and may hold newer tokens than the ones read; nothing was imported, and the file is left as it is",
                    hint: "stop the app that rewrote it, then import it again ('tokenvault import \(profile) --from \(from) …')",
                    status: .ioFailure
                )
            }
        })
        if removePlaintext {
            do {
                try plaintext.scrubAndRemove()
            } catch {
                Reporter.warning("the profile was imported, but \(from) was not removed")
                throw error
            }
            Reporter.note("overwrote and removed \(from)")
        }
        if json { print(imported.json(plaintextRemoved: removePlaintext)) }
    }

    /// What an import did, for `--json`: names, URLs, times and the refresh token's fingerprint
    /// (the text output shows the same), never a token.
    struct Imported {
        let vault: VaultAddress
        let profile: String
        let outcome: ImportOutcome
        let discovered: Bool

        func json(plaintextRemoved: Bool) -> String {
            let record = outcome.profile
            var out = JSONOutput()
            out.beginObject()
            out.field("schema", .integer(1))
            out.field("vault", .string(vault.description))
            out.field("profile", .string(profile))
            out.field("replaced", .bool(outcome.replaced))
            out.field("access_token_expires_at", .integer(record.expiresAt))
            out.field("refresh_token_fingerprint", .string(record.refreshToken?.fingerprint))
            out.field("refresh_token_expires_at", .integer(record.refreshTokenExpiresAt))
            out.field("token_endpoint", .string(record.binding.tokenEndpoint))
            out.field("discovered", .bool(discovered))
            out.field("client_id", .string(record.binding.clientID))
            out.field("auth_method", .string(record.binding.authMethod.rawValue))
            out.field("resource", .string(record.binding.resource))
            out.field("issuer", .string(record.binding.issuer))
            out.field("plaintext_removed", .bool(plaintextRemoved))
            out.endObject()
            return out.text
        }
    }

    /// Reads the tokens (after discovery, so that nobody types tokens for a server that cannot be
    /// used) and seals the profile.
    private func importProfile(reading readInput: () throws -> ImportedTokens, stillCurrent: () throws -> Void = {}) throws -> Imported {
        try importProfile(
            discovering: server, tokenEndpoint: tokenEndpoint ?? "", resource: resource, issuer: issuer,
            reading: readInput, stillCurrent: stillCurrent
        )
    }

    /// Reads the tokens after discovery through `discovering` (when given; the options win over
    /// what it finds), then seals the profile.
    func importProfile(
        discovering discoveryServer: String?, tokenEndpoint: String, resource: String?, issuer: String?,
        reading readInput: () throws -> ImportedTokens, stillCurrent: () throws -> Void = {}
    ) throws -> Imported {
        let store = try options.store()
        var endpoint = tokenEndpoint
        var resource = resource
        var issuer = issuer
        if let server = discoveryServer {
            let found = try Discovery.discover(server: server)
            endpoint = found.tokenEndpoint
            resource = resource ?? found.resource
            issuer = issuer ?? found.issuer
            // Discovery checked each against the URL rules; cleaned again because they came from a server.
            Reporter.note("discovered token endpoint \(PrintableText.clean(found.tokenEndpoint, limit: nil)) (issuer \(PrintableText.clean(found.issuer, limit: nil)), resource \(PrintableText.clean(found.resource, limit: nil)))")
        }
        let now = WallClock.now
        let tokens = try readInput()
        let clientSecret = try clientSecretFile.map {
            try SecretReader.readPrivateFile(FilePath($0)).trimmingWhitespace()
        } ?? tokens.clientSecret
        guard let clientID = clientID ?? tokens.clientID, !clientID.isEmpty else {
            throw CommandFailure(
                message: "no client id for profile '\(profile)'",
                hint: "pass --client-id (MCP Inspector shows it under \"Registered Client Information\")",
                status: .usage
            )
        }
        let method = authMethod.flatMap(ClientAuthMethod.init(rawValue:)) ?? tokens.authMethod
        if method == .clientSecretBasic || method == .clientSecretPost, clientSecret == nil {
            throw CommandFailure(message: "--auth-method \(method!.rawValue) needs a client secret", hint: "pass --client-secret-file FILE", status: .usage)
        }
        let binding = RefreshBinding(
            tokenEndpoint: endpoint, clientID: clientID, clientSecret: clientSecret,
            authMethod: method, resource: resource, issuer: issuer
        )
        let lifetime = refreshLifetime.flatMap(DurationText.seconds(parsing:))
        let outcome = try store.importProfile(
            profile, TokenProfile(imported: tokens, binding: binding, refreshTokenLifetime: lifetime, now: now),
            allowStale: force, stillCurrent: stillCurrent
        )
        let record = outcome.profile
        let replaced = outcome.replaced
        Reporter.note("\(replaced ? "replaced" : "imported") profile '\(profile)' in \(store.address): access token \(Describe.access(record, now: now)), refresh token \(record.refreshToken.map { "fp:" + $0.fingerprint } ?? "none")")
        if tokens.refreshToken == nil {
            Reporter.warning("profile '\(profile)' has no refresh token: it works until the access token expires, then needs a new import")
        }
        if fromClient == nil {
            Reporter.note("stop other clients (MCP Inspector, the old app) from refreshing this token chain: its next refresh rotates the refresh token")
        }
        return Imported(vault: store.address, profile: profile, outcome: outcome, discovered: discoveryServer != nil)
    }
}
