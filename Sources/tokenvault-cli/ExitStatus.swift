import TokenVault

/// The exit codes of `tokenvault`, one per failure class. README ("Exit codes") lists the same
/// table; scripts and monitors depend on these numbers, so they never change meaning.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    /// A bug or an unexpected system condition.
    case internalError = 1
    /// The command line was wrong (swift-argument-parser's validation code).
    case usage = 64
    /// No key configured, or a keyfile that is missing, malformed or too large.
    case keyUnavailable = 10
    /// The vault was sealed with a key that is not among the keys given.
    case wrongKey = 11
    /// The vault is corrupted, truncated, too large or was tampered with, or can be written no more
    /// (at its last generation, or too large).
    case vaultDamaged = 12
    /// The vault has a format version or flags this build does not read.
    case unsupportedVersion = 13
    /// A vault or lock file is a symlink; a vault, lock file, keyfile or client-secret file is not
    /// private to its owner or is owned by another user.
    case insecurePermissions = 14
    /// OAuth token unavailable: no vault, no such profile, or a profile without tokens.
    case tokenUnavailable = 15
    /// Refusing to overwrite an existing file or vault, to copy a vault over one at the same or a
    /// newer generation, or to add a key a keyfile already holds.
    case alreadyExists = 16
    /// Reading, writing or removing a file failed (disk full, read-only file system, …), or
    /// `--remove-plaintext` left a plaintext file in place because it changed or has other links.
    case ioFailure = 17
    /// Another process held the writer lock for too long.
    case busy = 18
    /// The token input (stdin, the prompt or --from) is not usable: malformed, not token-shaped,
    /// missing, or not a regular file.
    case invalidInput = 19
    /// MCP authentication failed: the refresh token expired or was revoked; re-import the profile.
    case reauthenticationRequired = 20
    /// The authorization server no longer accepts the OAuth client; register again and re-import.
    case clientRejected = 21
    /// The token endpoint refused the request as configured (invalid_target, a redirect, …).
    case configurationRejected = 22
    /// The token endpoint is unreachable or failing for now; retry later.
    case transient = 23
    /// Refreshed, but the new tokens could not be sealed into the vault.
    case sealFailed = 24
    /// `import`: the tokens are an older copy of the profile's chain (a refresh token the vault
    /// has rotated away from, or an earlier `created_at`); `--force` imports them anyway.
    case staleInput = 25
    /// `login`: the sign-in did not complete: denied or refused in the browser (an error
    /// redirect), a redirect that does not match (state, code), or none within `--timeout`.
    case signInIncomplete = 26
    /// A PostgreSQL vault's database refused this client as configured (authentication, a
    /// privilege, an unknown database or role, TLS), or libpq is not installed.
    case databaseRefused = 27
    /// The vault is at an older generation than this process had already seen: it was restored
    /// from an older copy while the process ran.
    case rolledBack = 28
    /// The agent (TOKENVAULT_AGENT_SOCK) does not serve this profile to this user: it is not in
    /// the agent's `--allow` list.
    case agentRefused = 29
    /// `status --check`: a profile needs attention (re-authentication, a rejected client, an
    /// expired token that could not be refreshed, a refresh token expiring soon).
    case checkFailed = 30
    /// `audit`: findings are left to fix.
    case auditFindings = 31
    /// `exec`: the command was found but could not be run. (The front `tokenvault` exits with
    /// it too when `tokenvault-cli` beside it cannot be run: Sources/tokenvault/FullCommand.swift.)
    case commandNotRunnable = 126
    /// `exec`: the command was not found. (The front `tokenvault` exits with it too when
    /// `tokenvault-cli` is not installed beside it.)
    case commandNotFound = 127

    init(_ error: RefreshError) {
        switch error {
        case .reauthenticationRequired: self = .reauthenticationRequired
        case .clientRejected: self = .clientRejected
        case .configurationRejected, .rejectedAgain: self = .configurationRejected
        case .transient: self = .transient
        case .noRefreshToken: self = .tokenUnavailable
        case .sealFailed: self = .sealFailed
        }
    }

    init(_ error: VaultError) {
        switch error {
        case .vaultMissing, .profileMissing: self = .tokenUnavailable
        case .unreadable(_, let cause):
            switch cause {
            case .sealedWithOtherKey: self = .wrongKey
            case .unsupportedVersion, .unknownFlags, .unsupportedPayloadVersion: self = .unsupportedVersion
            case .truncated, .badLength, .tooLarge, .notAVault, .tampered, .badPadding, .badPayload, .lastGeneration:
                self = .vaultDamaged
            }
        case .unwritable: self = .vaultDamaged
        case .busy: self = .busy
        case .invalidProfileName: self = .usage
        case .resealMismatch: self = .invalidInput
        case .file(let error): self.init(error)
        case .database(_, let failure):
            switch failure {
            case .unavailable: self = .transient
            case .refused, .noLibrary: self = .databaseRefused
            case .notInitialized: self = .tokenUnavailable
            }
        case .versionConflict: self = .busy
        case .rolledBack: self = .rolledBack
        case .leaseLost: self = .transient
        case .notOlder: self = .alreadyExists
        }
    }

    init(_ error: KeyError) {
        switch error {
        case .noKey, .keyfileMissing, .keyfileTooLarge, .malformedKey, .emptyKeySource: self = .keyUnavailable
        case .credentialsDirectoryUnset, .badCredentialName, .credentialMissing, .keyCommandFailed, .unreadableDescriptor:
            self = .keyUnavailable
        case .foreignKeyfile, .unsafeCredentialsDirectory: self = .insecurePermissions
        case .file(let error): self.init(error)
        }
    }

    init(_ error: FileError) {
        switch error {
        case .insecure: self = .insecurePermissions
        case .alreadyExists: self = .alreadyExists
        case .missing, .io, .plaintextKept: self = .ioFailure
        case .busy: self = .busy
        case .tooLarge, .lineTooLong: self = .invalidInput
        }
    }
}

extension ExitStatus {
    init(_ error: AgentError) {
        switch error {
        case .malformedRequest, .requestTooLarge, .requestTimedOut: self = .invalidInput
        case .refused: self = .agentRefused
        case .unreachable: self = .transient
        case .malformedAnswer: self = .internalError
        case .answered(let code, _): self = ExitStatus(rawValue: code) ?? .internalError
        case .cannotListen: self = .ioFailure
        case .unsafeSocketFolder: self = .insecurePermissions
        case .badAllowEntry: self = .usage
        }
    }
}

extension AgentError: ReportedError {
    var status: ExitStatus { ExitStatus(self) }
}

/// An error the command reports in its own voice: message, hint, exit code.
protocol ReportedError: Error {
    var message: String { get }
    var hint: String? { get }
    var status: ExitStatus { get }
}

/// The library's errors say what happened in their `description`; the command says it as is.
extension ReportedError where Self: CustomStringConvertible {
    var message: String { description }
}

extension VaultError: ReportedError {
    var status: ExitStatus { ExitStatus(self) }
}

extension KeyError: ReportedError {
    var status: ExitStatus { ExitStatus(self) }
}

extension FileError: ReportedError {
    var status: ExitStatus { ExitStatus(self) }
}

extension TokenInputError: ReportedError {
    var status: ExitStatus { .invalidInput }
    var hint: String? { nil }
}

extension RefreshError: ReportedError {
    var status: ExitStatus { ExitStatus(self) }
}

extension ConfigurationError: ReportedError {
    var status: ExitStatus { .usage }
    var hint: String? {
        switch self {
        case .badHTTPTimeout: return "unset it or set e.g. \(VaultConfiguration.httpTimeoutVariable)=30"
        case .badKeyCommandTimeout: return "unset it (30 s) or set e.g. \(VaultConfiguration.keyCommandTimeoutVariable)=120"
        case .badVaultAddress: return "write it as postgresql://USER@HOST/DATABASE?vault=NAME or postgresql:host=HOST dbname=DATABASE vault=NAME (README, 'Running on several hosts')"
        }
    }
}

extension DiscoveryError: ReportedError {
    var status: ExitStatus {
        if case .unreachable = self { return .transient }
        return .configurationRejected
    }
}

extension ImportError: ReportedError {
    var status: ExitStatus { isStale ? .staleInput : .invalidInput }
}

extension CommandFailure: ReportedError {}

/// Message, hint and exit code of any error a command meets.
enum Failure {
    static func message(_ error: Error) -> String {
        (error as? any ReportedError)?.message ?? "\(error)"
    }

    static func hint(_ error: Error) -> String? {
        (error as? any ReportedError)?.hint
    }

    static func status(_ error: Error) -> ExitStatus {
        (error as? any ReportedError)?.status ?? .internalError
    }
}
