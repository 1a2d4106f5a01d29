import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

struct Agent: AsyncParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve access tokens over a Unix socket, as the only process that holds the key.",
        discussion: """
            Holds the vault key and the refresh tokens, and answers each connection on --socket \
            with an access token of a profile the peer (its uid and groups, from SO_PEERCRED) is \
            allowed by --allow. Apps set TOKENVAULT_AGENT_SOCK to the socket: tokenvault token \
            and tokenvault exec then ask the agent and need no key. It refreshes the profiles \
            --allow names ahead of expiry, never answers with a refresh token or the key, and \
            logs refused peers (never a token). The socket's folder must be this user's and \
            writable by no one else; the socket gets the folder's reach. Under systemd socket \
            activation (LISTEN_FDS) it serves the socket it is given and --socket is not needed. \
            SIGTERM or SIGINT ends it and removes the socket. The protocol is in README \
            ("Separating the app from the key").
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Serve profile readonly to user app:", "tokenvault agent --socket /run/tokenvault/agent.sock --allow app:readonly"),
        ("Serve two profiles to group web, everything to uid 1001:", "tokenvault agent --socket /run/tokenvault/agent.sock --allow @web:readonly,admin --allow '1001:*'"),
        ("Ask it from the app's user:", "TOKENVAULT_AGENT_SOCK=/run/tokenvault/agent.sock tokenvault token readonly"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.openingVault + [.alreadyExists]

    @OptionGroup var options: VaultOptions

    @Option(name: .long, help: ArgumentHelp("The socket to listen on (not needed under systemd socket activation).", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp(
        "Who may read which profiles: a user name or uid, or @ and a group name or gid, then a colon and profiles separated by commas (* for every profile). Repeat for more entries.",
        valueName: "who:profiles"))
    var allow: [String] = []

    @Option(name: .customLong("refresh-check"), help: ArgumentHelp("Seconds between checks for profiles to refresh ahead of expiry.", valueName: "seconds"))
    var refreshCheck: Double = 10

    func validate() throws {
        guard !allow.isEmpty else { throw ValidationError("give at least one --allow WHO:PROFILE, e.g. --allow app:readonly") }
        guard refreshCheck >= 1, refreshCheck <= 3600 else { throw ValidationError("--refresh-check takes 1 to 3600 seconds") }
    }

    func run() async throws {
        let allowList = try AgentAllowList(allow)
        let tokens = try options.tokenManager()
        // The key must open the vault before anyone is told the agent is up.
        _ = try tokens.store.read()
        let listener: AgentListener
        if let activated = AgentListener.activated() {
            listener = activated
        } else if let socket {
            listener = try AgentListener(binding: socket)
        } else {
            throw CommandFailure(message: "no socket: give --socket PATH, or start the agent from a systemd socket unit", hint: nil, status: .usage)
        }
        try SignalTermination.exitOnTermination(removing: listener.boundPath)
        let server = AgentServer(listener: listener, tokens: tokens, allowList: allowList, logger: CommandLogging.logger) { error in
            (Failure.status(error).rawValue, Failure.message(error))
        }
        server.startRefreshingAhead(every: refreshCheck)
        CommandLogging.logger.info("agent listening", metadata: ["socket": "\(listener.boundPath ?? "fd 3 (systemd)")"])
        try server.serve()
    }
}
