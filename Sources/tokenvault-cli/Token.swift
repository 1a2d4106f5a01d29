import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

struct Token: AsyncParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a valid access token for a profile, refreshing it first when needed.",
        discussion: """
            Prints the token and a newline on stdout and nothing else, for scripts and apps in \
            any language (e.g. Python's subprocess.run(["tokenvault", "token", "readonly"])). \
            When the MCP server answered 401 to a token, pass that token on stdin with \
            --rejected: tokenvault then refreshes once (unless another process already did) \
            instead of returning the same token.
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Print a valid access token:", "tokenvault token readonly"),
        ("After the MCP server answered 401 to a token, get a different one:", "printf '%s\\n' \"$TOKEN\" | tokenvault token readonly --rejected"),
    ]

    static let exitStatuses: [ExitStatus] = ExitStatus.refreshing + [.invalidInput, .agentRefused]

    @OptionGroup var options: VaultOptions

    @Argument(help: "The profile.")
    var profile: String

    @Flag(name: .long, help: "Read the access token the MCP server rejected (401) from stdin and return a different one.")
    var rejected = false

    func validate() throws {
        try ProfileArgument.validate(profile)
    }

    func run() async throws {
        try await Self.printToken(for: profile, rejected: rejected, from: options.selection)
    }

    /// The whole command, once its arguments are known. On the main actor, like `Entry`, so
    /// that a valid token is printed without a hop to the global executor and its threads.
    @MainActor
    static func printToken(for profile: String, rejected: Bool, from selection: VaultSelection) async throws {
        if let socket = AgentClient.socketFromEnvironment {
            selection.warnIgnoredForAgent()
            let rejectedToken = rejected ? try rejectedTokenFromStandardInput() : nil
            let token = try AgentClient.token(for: profile, rejected: rejectedToken, socket: socket)
            token.withUnsafeBytes { Output.writeLine($0) }
            return
        }
        let tokens = try selection.tokenManager()
        let token: String
        do {
            if rejected {
                token = try await tokens.accessToken(for: profile, rejected: rejectedTokenFromStandardInput().unsafeStringValue())
            } else if let valid = try tokens.accessTokenWithoutRefresh(for: profile) {
                token = valid
            } else {
                token = try await tokens.accessToken(for: profile)
            }
        } catch {
            throw ProfileFailure.reported(error, profile: profile, tokens: tokens, selection: selection, offeringImport: true)
        }
        Output.write(token + "\n")
    }

    private static func rejectedTokenFromStandardInput() throws -> Secret {
        guard let line = try SecretReader.readLine(from: .standardInput), !line.isEmpty else {
            throw CommandFailure(message: "--rejected expects the rejected access token on stdin", hint: nil, status: .invalidInput)
        }
        return line
    }

    /// The profile, when the command line is exactly `tokenvault token PROFILE` (no options,
    /// nothing that parses as one): the line scripts run over and over, which `Entry` runs
    /// without swift-argument-parser. It means the same as the parsed command; anything else
    /// (`--help`, `--vault`, `--rejected`, a typo) goes through the parser. `--help` and `-h` are
    /// valid profile names, so anything that starts with `-` is the parser's, as it would be there.
    static func unparsedProfile(in arguments: [String]) -> String? {
        guard arguments.count == 3, arguments[1] == "token", !arguments[2].hasPrefix("-"), ProfileName.isValid(arguments[2]) else { return nil }
        return arguments[2]
    }
}
