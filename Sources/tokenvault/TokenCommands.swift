import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

extension VaultOptions {
    func tokenManager() throws -> TokenManager { try selection.tokenManager() }
}

extension VaultSelection {
    /// `TOKENVAULT_HTTP_TIMEOUT` (seconds) caps a whole token request; the connect timeout is
    /// the smaller of it and 10 s.
    func tokenManager() throws -> TokenManager {
        var limits = HTTPLimits()
        if let text = getenv("TOKENVAULT_HTTP_TIMEOUT").map({ String(cString: $0) }) {
            guard let seconds = Double(text), seconds >= 1, seconds <= 600 else {
                throw CommandFailure(message: "TOKENVAULT_HTTP_TIMEOUT='\(text)' is not a number of seconds from 1 to 600", hint: "unset it or set e.g. TOKENVAULT_HTTP_TIMEOUT=30", status: .usage)
            }
            limits.totalTimeout = seconds
            limits.connectTimeout = min(10, seconds)
        }
        return TokenManager(store: try store(), limits: limits, logger: CommandLogging.logger)
    }
}

struct Token: AsyncParsableCommand {
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
        let tokens = try selection.tokenManager()
        let token: String
        if rejected {
            guard let line = try SecretReader.readLine(from: .standardInput), !line.isEmpty else {
                throw CommandFailure(message: "--rejected expects the rejected access token on stdin", hint: nil, status: .invalidInput)
            }
            token = try await tokens.accessToken(for: profile, rejected: line.unsafeStringValue())
        } else if let valid = try tokens.accessTokenWithoutRefresh(for: profile) {
            token = valid
        } else {
            token = try await tokens.accessToken(for: profile)
        }
        Output.write(token + "\n")
    }

    /// The profile, when the command line is exactly `tokenvault token PROFILE` (no options,
    /// nothing that parses as one): the line scripts run over and over, which `Entry` runs
    /// without swift-argument-parser. It means the same as the parsed command; anything else
    /// (`--help`, `--vault`, `--rejected`, a typo) goes through the parser.
    static func unparsedProfile(in arguments: [String]) -> String? {
        guard arguments.count == 3, arguments[1] == "token", ProfileName.isValid(arguments[2]) else { return nil }
        return arguments[2]
    }
}

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

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command with a valid access token in its environment.",
        discussion: """
            Puts the token in the environment variable --env (default MCP_ACCESS_TOKEN) and \
            replaces tokenvault with COMMAND. TOKENVAULT_KEY and TOKENVAULT_KEYFILE are removed \
            from the command's environment, so the vault key is not passed on. --env takes only \
            an upper-case name ending in TOKEN ([A-Z][A-Z0-9_]*TOKEN), never TOKENVAULT_* or \
            LD_*: variables such as PYTHONWARNINGS, NODE_OPTIONS or PS1 make a program print or \
            run what they hold.
            """
    )

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
        let token = try await options.tokenManager().accessToken(for: profile)
        unsetenv(KeySource.keyVariable)
        unsetenv(KeySource.keyfileVariable)
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

/// stdout without buffering surprises: one write of the whole text.
enum Output {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { if errno == EINTR { continue }; return }
                offset += written
            }
        }
    }
}

/// swift-log for the command. By default only warnings reach stderr, in the command's own voice
/// (`tokenvault: warning: …`); errors are not logged twice, since every failure ends the command
/// with its own `tokenvault: error:` line. TOKENVAULT_LOG_LEVEL=debug|info|notice shows more, in
/// swift-log's format. Log metadata never holds a secret.
enum CommandLogging {
    static let logger: Logger = {
        let level = getenv("TOKENVAULT_LOG_LEVEL").map { String(cString: $0) }.flatMap(Logger.Level.init(rawValue:))
        var logger = Logger(label: "tokenvault") { label in
            level == nil ? WarningHandler() as any LogHandler : StreamLogHandler.standardError(label: label)
        }
        logger.logLevel = level ?? .warning
        return logger
    }()

    struct WarningHandler: LogHandler {
        var logLevel: Logger.Level = .warning
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.level == .warning else { return }
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let details = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: ", ")
            Reporter.warning(details.isEmpty ? "\(event.message)" : "\(event.message) (\(details))")
        }
    }
}

/// The check every command that names a profile makes before touching the vault.
enum ProfileArgument {
    static func validate(_ profile: String) throws {
        guard ProfileName.isValid(profile) else { throw ValidationError(VaultError.invalidProfileName(profile).description) }
    }
}
