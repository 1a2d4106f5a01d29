import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

struct Exec: AsyncParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command with a valid access token in its environment.",
        discussion: """
            Puts the token in the environment variable --env (default MCP_ACCESS_TOKEN) and \
            replaces tokenvault with COMMAND. TOKENVAULT_KEY, TOKENVAULT_KEY_COMMAND, \
            TOKENVAULT_KEY_CREDENTIAL and TOKENVAULT_KEYFILE are removed from the command's environment, so the vault key is not passed on. --env takes only \
            an upper-case name ending in TOKEN ([A-Z][A-Z0-9_]*TOKEN), never TOKENVAULT_* or \
            LD_*: variables such as PYTHONWARNINGS, NODE_OPTIONS or PS1 make a program print or \
            run what they hold.
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Run a client with the token in MCP_ACCESS_TOKEN:", "tokenvault exec readonly -- ./client"),
        ("Use another variable:", "tokenvault exec readonly --env GITHUB_TOKEN -- ./client"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.refreshing + [.agentRefused, .commandNotRunnable, .commandNotFound]

    @OptionGroup var options: VaultOptions

    @Argument(help: "The profile.")
    var profile: String

    @Option(name: .long, help: ArgumentHelp("The variable that receives the token: upper-case, ending in TOKEN.", valueName: "name"))
    var env = "MCP_ACCESS_TOKEN"

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command after --, e.g. tokenvault exec readonly -- ./client") }
        try ProfileArgument.validate(profile)
        guard TokenVariableName.isAllowed(env) else {
            throw ValidationError("--env \(env): the token goes only into \(TokenVariableName.rule); wrap the command (sh -c 'NAME=\"$MCP_ACCESS_TOKEN\" exec CMD') for any other name")
        }
    }

    func run() async throws {
        let token: String
        if let socket = AgentClient.socketFromEnvironment {
            options.selection.warnIgnoredForAgent()
            token = try AgentClient.token(for: profile, socket: socket).unsafeStringValue()
        } else {
            let tokens = try options.tokenManager()
            do {
                token = try await tokens.accessToken(for: profile)
            } catch {
                throw ProfileFailure.reported(error, profile: profile, tokens: tokens, selection: options.selection, offeringImport: true)
            }
        }
        for variable in [KeySource.keyVariable, KeySource.keyfileVariable, KeySource.commandVariable, KeySource.credentialVariable] {
            unsetenv(variable)
        }
        setenv(env, token, 1)
        var arguments = command.map { strdup($0) }
        arguments.append(nil)
        execvp(command[0], &arguments)
        let error = errno
        throw CommandFailure(
            message: "cannot run \(command[0]): \(String(cString: strerror(error)))",
            hint: "check the command name and PATH",
            status: error == ENOENT ? .commandNotFound : .commandNotRunnable
        )
    }
}
