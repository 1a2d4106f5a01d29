/// Each exit code's meaning in one sentence: the text of README's "Exit codes" table (without its
/// Markdown) and of every subcommand's EXIT STATUS block. `HelpPageTests` compares the two, so a
/// change here is a change to README as well.
extension ExitStatus {
    var meaning: String {
        switch self {
        case .success: return "success"
        case .internalError: return "a bug or an unexpected system condition"
        case .usage:
            return "the command line was wrong (also a bad profile name, a missing client id, a bad TOKENVAULT_HTTP_TIMEOUT or TOKENVAULT_KEY_COMMAND_TIMEOUT, --keyfile with --key-fd, a URL, auth method or lifetime that set refuses as import would, a key id the keyfile does not hold, dropping a keyfile's last key, or import --from-client with no chain or several chains for the server asked for, or none asked for, or an agent --allow entry that is malformed or names an unknown user or group)"
        case .keyUnavailable: return "no key configured, or a key source that gives none: a keyfile or systemd credential that is missing, malformed or larger than 64 KiB, TOKENVAULT_KEY_CREDENTIAL without CREDENTIALS_DIRECTORY, a key command that fails, is killed, runs too long or prints more than 64 KiB, or a --key-fd that cannot be read"
        case .wrongKey: return "the vault was sealed with a key that is not among the keys given"
        case .vaultDamaged:
            return "the vault is corrupted, truncated, too large (over 64 MiB) or was tampered with, or can be written no more (at its last generation)"
        case .unsupportedVersion: return "the vault has a format version or flags this build does not read"
        case .insecurePermissions:
            return "a vault or lock file is a symlink or not a regular file; a vault, lock file, keyfile or client-secret file is not private to its owner or is owned by another user; or (for writes) the vault's folder is another user's or writable by group or others; or the systemd credentials folder is another user's or writable by group or others; or keyfile add/remove was given a symbolic link; or the agent's socket folder is another user's or writable by group or others"
        case .tokenUnavailable: return "OAuth token unavailable: no vault (for PostgreSQL: no tables yet, or no row of that vault name), no such profile, or a profile without tokens"
        case .alreadyExists: return "refusing to overwrite an existing file or vault, to copy a vault over one at the same or a newer generation (copy), or to add a key a keyfile already holds (keyfile add)"
        case .ioFailure:
            return "reading, writing or removing a file failed (disk full, read-only file system, …); or --remove-plaintext left the plaintext file in place because the path names another file or the file has other hard links (the profile was imported); or --from FILE or an MCP client's store changed after it was read (nothing was imported, or, if it changed after the vault was written, the file was kept); or the agent cannot listen on its socket (another agent listens there, or a file that is not a socket is in the way)"
        case .busy: return "another process held the writer lock for too long (60 s), or other writers of a PostgreSQL vault kept replacing it for that long"
        case .invalidInput:
            return "the token input (stdin, the prompt or --from) is not usable: malformed, not token-shaped, or --from is missing, a symbolic link or not a regular file; or an MCP client's store (--from-client) is missing, not in the shape that client writes, or holds no token chain; or a request to the agent is not tokenvault-agent/1, is longer than 4 KiB or is not complete within 5 s"
        case .reauthenticationRequired:
            return "MCP authentication failed: the refresh token expired or was revoked, or the authorization code of a login was refused; sign in again (login) or re-import the profile"
        case .clientRejected: return "the authorization server no longer accepts the OAuth client, or refused to register one (login); register again and re-import"
        case .configurationRejected:
            return "the token endpoint refused the request as configured (invalid_target, a redirect, …), or discovery found no usable metadata (for login: also an authorization server without PKCE S256)"
        case .transient:
            return "the token endpoint (or, for login, the authorization server), or a PostgreSQL vault's database, is unreachable or failing for now, or no agent answers on TOKENVAULT_AGENT_SOCK; retry later"
        case .sealFailed: return "refreshed, but the new tokens could not be sealed into the vault"
        case .staleInput:
            return "import: the tokens are an older copy of the profile's chain (a refresh token the vault has rotated away from, or a created_at before the profile's current refresh token); --force imports them anyway"
        case .signInIncomplete:
            return "login: the sign-in did not complete: it was denied or refused in the browser (an error redirect such as access_denied), the redirect did not match (another state, no code), or none came within --timeout; nothing was written"
        case .databaseRefused:
            return "a PostgreSQL vault's database refused this client as configured (authentication, a privilege, an unknown database or role, TLS), or libpq (libpq.so.5) is not installed"
        case .rolledBack:
            return "the vault is at an older generation than this process had already seen: it was restored from an older copy while the process ran; nothing was served from it"
        case .agentRefused:
            return "the agent (TOKENVAULT_AGENT_SOCK) does not serve that profile to this user: no --allow entry names the user's uid or one of its groups with that profile"
        case .checkFailed: return "status --check: a profile needs attention"
        case .auditFindings: return "audit: findings are left to fix"
        case .commandNotRunnable: return "exec: the command was found but could not be run; or tokenvault-cli beside tokenvault cannot be run"
        case .commandNotFound: return "exec: the command was not found; or tokenvault-cli is not installed beside tokenvault"
        }
    }

    /// Every command can end in these.
    static let always: [ExitStatus] = [.success, .internalError, .usage]

    /// What opening the vault with a key can end in.
    static let openingVault: [ExitStatus] = [
        .keyUnavailable, .wrongKey, .vaultDamaged, .unsupportedVersion, .insecurePermissions, .tokenUnavailable, .ioFailure,
        .transient, .databaseRefused, .rolledBack,
    ]

    /// What writing the vault can end in, on top of opening it.
    static let writingVault: [ExitStatus] = openingVault + [.busy]

    /// What a refresh at the token endpoint can end in, on top of writing the vault.
    static let refreshing: [ExitStatus] = writingVault + [
        .reauthenticationRequired, .clientRejected, .configurationRejected, .sealFailed,
    ]
}
