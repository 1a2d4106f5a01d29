import SystemPackage
import TokenVault

// What to type to fix each failure the library reports. The library's errors say what happened;
// the commands that fix it are this command's to name.

extension VaultError {
    /// The command that fixes it.
    var hint: String? {
        switch self {
        case .vaultMissing(let path):
            if PostgresAddress.isAddress(path) {
                return "create it with 'tokenvault init --vault ADDRESS' (as a role that may create the tables the first time: SECURITY.md, 'PostgreSQL vaults'), or copy a vault file there with 'tokenvault copy --from FILE --to ADDRESS'"
            }
            return Self.missingVaultHint(FilePath(path))
        case .profileMissing(let profile, _, let profiles):
            return Self.missingProfileHint(profile, among: profiles, offeringImport: false)
        case .unreadable(_, let cause):
            switch cause {
            case .sealedWithOtherKey:
                return "use a keyfile that holds the key the vault was sealed with (--keyfile or TOKENVAULT_KEYFILE; 'tokenvault keyfile list FILE' shows a keyfile's key ids), or make TOKENVAULT_KEY_COMMAND or TOKENVAULT_KEY_CREDENTIAL give that key; after a key rotation that is the new key: add it with 'tokenvault keyfile add FILE --from NEW --first'"
            case .unsupportedVersion, .unsupportedPayloadVersion, .unknownFlags:
                return "upgrade tokenvault, or restore the vault from a backup"
            default:
                return "restore the vault from a backup, or start over with 'tokenvault init' and re-import every profile"
            }
        case .unwritable(_, let cause):
            if case .tooLarge = cause { return "remove profiles no longer needed with 'tokenvault remove PROFILE', or keep some in a vault of their own (--vault)" }
            return "start a new vault with 'tokenvault init --vault NEW' and re-import every profile into it"
        case .busy(let path, _):
            if PostgresAddress.isAddress(path) {
                return "retry; another host or process held the refresh lease or kept writing (its leases are rows of tokenvault_leases: SECURITY.md, 'PostgreSQL vaults')"
            }
            return "find the holder with 'fuser \(path).lock' and retry"
        case .invalidProfileName: return "choose a name like 'readonly' or 'admin'"
        case .resealMismatch: return nil
        case .file(.alreadyExists(let path)) where PostgresAddress.isAddress(path):
            return "give another vault name (vault=NAME in the address), or copy a vault over it with 'tokenvault copy --from VAULT --to ADDRESS'"
        case .file(let error): return error.hint
        case .database(_, let failure):
            switch failure {
            case .unavailable:
                return "check that the database is up and reachable from here (psql with the same address), then retry; a valid token already held by a running app is still served"
            case .refused:
                return "check the address, the role's password (~/.pgpass or PGPASSFILE, never in the address) and its grants (SECURITY.md, 'PostgreSQL vaults'), e.g. with psql and the same address"
            case .notInitialized:
                return "create the tables with 'tokenvault init --vault ADDRESS' as a role that may create them (SECURITY.md, 'PostgreSQL vaults')"
            case .noLibrary:
                return "install libpq (Debian/Ubuntu: apt install libpq5)"
            }
        case .versionConflict:
            return "retry; other writers were changing the vault at the same time"
        case .rolledBack:
            return "if restoring that copy was meant, restart the process to accept it, then 'tokenvault status' names the profiles that need 'tokenvault login'; otherwise restore the newest copy"
        case .leaseLost:
            return "retry; if it goes on, check the database's health and this host's connection to it"
        case .notOlder:
            return "check which vault is current with 'tokenvault status --vault VAULT' on each; to replace the newer one anyway, add --force (profiles with a refresh token are then marked as possibly spent)"
        }
    }
}

extension VaultError {
    /// No vault at `path`: the vault it was probably meant to be, else the vaults that exist,
    /// and `init` only when none of them is a typo away.
    private static func missingVaultHint(_ path: FilePath) -> String {
        if let similar = PathGuess.similarVault(to: path) {
            let tilde = PathGuess.tildeExpanded(path) == similar ? "'~' is not expanded here: " : ""
            return "\(tilde)did you mean \(similar)? point --vault or TOKENVAULT_PATH at it"
        }
        if let expanded = PathGuess.tildeExpanded(path) {
            return "'~' is not expanded here: give the full path, \(expanded), to --vault or TOKENVAULT_PATH (then 'tokenvault init' creates it there, if it is to be a new vault)"
        }
        let create = "create it with 'tokenvault init', then 'tokenvault import PROFILE …'"
        let others = PathGuess.existingVaults(near: path)
        guard !others.isEmpty else { return create }
        return create + "; or use a vault that exists (--vault or TOKENVAULT_PATH): " + others.map(\.string).joined(separator: ", ")
    }

    /// How many profile names a hint lists; past that it points to `tokenvault list`.
    static let namesListed = 8

    /// A typo gets the name it most likely meant, never an offer to create it; the vault's names
    /// are listed when there are few. Only `token` and `exec`, which use a profile, may offer to
    /// import one that is not there, and only when no existing name is close: `remove`, `refresh`,
    /// `status` or `set` of a missing profile is never a reason to add it.
    static func missingProfileHint(_ profile: String, among profiles: [String], offeringImport: Bool) -> String {
        let held: String
        switch profiles.count {
        case 0: held = "the vault holds no profiles yet"
        case ...namesListed: held = "the vault holds " + profiles.map { "'\($0)'" }.joined(separator: ", ")
        default: held = "'tokenvault list' shows all \(profiles.count) profiles"
        }
        if let closest = ClosestName.closest(to: profile, in: profiles) {
            return "did you mean '\(closest)'? \(held)"
        }
        guard offeringImport else { return held }
        return "\(held); to add '\(profile)', run 'tokenvault import \(profile) --token-endpoint URL --client-id ID' with its tokens on stdin"
    }
}

extension KeyError {
    /// The command that fixes it, without knowing which vault it was for.
    var hint: String? { hint(nil) }

    /// The command that fixes it, worded from what is on disk (`facts`): never a new key for a
    /// vault that exists, since a new key cannot open it.
    func hint(_ facts: KeyFacts?) -> String? {
        switch self {
        case .foreignKeyfile(_, let uid):
            let owner = UserName.of(uid)
            return "run tokenvault as \(owner), with the key and vault settings \(owner)'s service uses ('sudo -u \(UserName.sudoUser(uid)) env TOKENVAULT_KEYFILE=… TOKENVAULT_PATH=… tokenvault …': sudo resets the environment); or get a copy of the key from \(owner) into a keyfile of your own (mode 0600). Never take over a keyfile another user holds"
        case .noKey(let defaultKeyfile):
            return Self.noKeyHint(defaultKeyfile: defaultKeyfile, facts)
        case .keyfileMissing(let path):
            return Self.missingKeyfileHint(FilePath(path), facts)
        case .malformedKey(let source, _) where source.hasPrefix("the output of"), .emptyKeySource(let source) where source.hasPrefix("the output of"):
            return "run the command in \(KeySource.commandVariable) yourself: it must print key lines and nothing else (as 'tokenvault keygen --output -' does)"
        case .malformedKey(let source, _) where source.hasPrefix("file descriptor"), .emptyKeySource(let source) where source.hasPrefix("file descriptor"):
            return "open \(KeySource.descriptorOption)'s descriptor on a keyfile or on a pipe that carries key lines, e.g. 'tokenvault list --key-fd 3 3<KEYFILE'"
        case .keyfileTooLarge(let path, _), .malformedKey(let path, _), .emptyKeySource(let path):
            if path != KeySource.keyVariable, case .vault(let sealedWith) = VaultProbe.look(at: FilePath(path)) {
                let keyID = facts?.sealedWith ?? sealedWith
                return "that file is a vault, not a key: point \(facts?.keyfileNamer ?? "--keyfile or TOKENVAULT_KEYFILE") at the keyfile that holds \(keyID.map { "key id \($0)" } ?? "the vault's key")"
            }
            var vaultNote: String?
            if let facts, let sealedWith = facts.sealedWith {
                vaultNote = " (the vault at \(facts.vault) was sealed with key id \(sealedWith))"
            }
            if case .keyfileTooLarge = self {
                return "point TOKENVAULT_KEYFILE or --keyfile at the keyfile itself" + (vaultNote ?? " ('tokenvault keygen --output FILE' writes one)")
            }
            if let vaultNote { return "restore the keyfile from its backup" + vaultNote }
            return "regenerate the key with 'tokenvault keygen --output FILE', or restore the keyfile from its backup"
        case .credentialsDirectoryUnset(let name):
            return "run it from a systemd unit with LoadCredential=\(PrintableText.clean(name)):/PATH/OF/KEYFILE (or LoadCredentialEncrypted=; Examples/tokenvault-credential.service), or outside systemd unset \(KeySource.credentialVariable) and point \(KeySource.keyfileVariable) at the keyfile"
        case .badCredentialName:
            return "set \(KeySource.credentialVariable) to the NAME of the unit's LoadCredential=NAME:… line, e.g. tokenvault-key"
        case .credentialMissing(let name, _):
            let name = PrintableText.clean(name)
            return "add LoadCredential=\(name):/etc/credstore/\(name) (or LoadCredentialEncrypted=\(name):/etc/credstore.encrypted/\(name)) to the unit, then 'systemctl daemon-reload' and restart it; or set \(KeySource.credentialVariable) to the name it loads"
        case .unsafeCredentialsDirectory:
            return "\(KeySource.credentialsDirectoryVariable) must be the folder systemd made for the service (mode 0500); outside systemd, unset \(KeySource.credentialVariable) and use a keyfile (\(KeySource.keyfileVariable))"
        case .keyCommandFailed(let error):
            switch error {
            case .emptyCommandLine, .unterminatedQuote:
                return "write \(KeySource.commandVariable) as a program and its arguments, quoted with '…' or \"…\" (no shell: write sh -c '…' for pipes or variables)"
            case .cannotStart:
                return "give \(KeySource.commandVariable) the full path of the program, or install it"
            case .timedOut:
                return "run the command yourself to see where it waits; it runs with stdin /dev/null, so it cannot prompt there; or allow it longer with \(VaultConfiguration.keyCommandTimeoutVariable)=SECONDS (at most 600)"
            case .tooMuchOutput:
                return "run the command yourself: it must print key lines and nothing else (as 'tokenvault keygen --output -' does)"
            case .exited, .killed, .io:
                return "run the command in \(KeySource.commandVariable) yourself to see why it fails (its own error is above)"
            }
        case .unreadableDescriptor:
            return "open the descriptor for tokenvault, e.g. 'tokenvault list --key-fd 3 3<KEYFILE', or leave out \(KeySource.descriptorOption)"
        case .file(let error): return error.hint
        }
    }

    /// No source set and no default keyfile: copy the key of a vault that exists (or was
    /// probably meant) to the default keyfile; make a key only when there is no vault.
    private static func noKeyHint(defaultKeyfile: String?, _ facts: KeyFacts?) -> String {
        let target = defaultKeyfile ?? "a keyfile"
        let copy = "copy that key into \(target) (mode 0600)\(defaultKeyfile == nil ? "" : ", where tokenvault looks by default"), or point --keyfile or TOKENVAULT_KEYFILE at a keyfile that holds it"
        if let facts, case .vault(let sealedWith) = facts.vaultFinding {
            return "the vault at \(facts.vault) was sealed with \(sealedWith.map { "key id \($0)" } ?? "a key"): \(copy)"
        }
        if let facts, let similar = facts.similarVault {
            var sealed = ""
            if case .vault(let id?) = VaultProbe.look(at: similar) { sealed = " (sealed with key id \(id))" }
            return "there is no vault at \(facts.vault) either: did you mean \(similar)\(sealed)? point --vault or TOKENVAULT_PATH at it and \(copy)"
        }
        guard let defaultKeyfile else {
            return "create a key with 'tokenvault keygen --output FILE' and set TOKENVAULT_KEYFILE to it"
        }
        return "create a key with 'tokenvault keygen --output \(defaultKeyfile)' (tokenvault reads it from there by default), then a vault with 'tokenvault init'"
    }

    /// A keyfile path that names nothing: an unexpanded `~`, a typo, the default keyfile
    /// shadowed; a new key only when there is no vault to open.
    private static func missingKeyfileHint(_ path: FilePath, _ facts: KeyFacts?) -> String {
        let namer = facts?.keyfileNamer ?? "--keyfile or TOKENVAULT_KEYFILE"
        if let expanded = PathGuess.tildeExpanded(path) {
            if VaultProbe.look(at: expanded) != .nothing {
                return "'~' is not expanded here: give the full path, \(expanded), to \(namer)"
            }
            return "'~' is not expanded here, and \(expanded) does not exist either: give \(namer) the full path of the keyfile"
        }
        if let similar = PathGuess.similarFile(to: path) {
            return "did you mean \(similar)? point \(namer) at it"
        }
        if let facts, facts.defaultKeyfileExists, let defaultKeyfile = facts.defaultKeyfile, facts.keyfileOrigin != KeySource.defaultKeyfileOrigin {
            let drop = facts.keyfileOrigin == "--keyfile" ? "leave out --keyfile" : "unset \(KeySource.keyfileVariable)"
            return "the default keyfile \(defaultKeyfile) exists: to use it, \(drop)"
        }
        if let facts, let sealedWith = facts.sealedWith {
            return "check the path: the vault at \(facts.vault) was sealed with key id \(sealedWith); point \(namer) at the keyfile that holds it"
        }
        if let facts, case .vault = facts.vaultFinding {
            return "check the path, and point \(namer) at the keyfile that holds the vault's key"
        }
        return "check the path, or create a key there with 'tokenvault keygen --output \(path)'"
    }
}

extension FileError {
    /// What to do about it, whichever file it was (a vault, a lock file, a keyfile).
    var hint: String? {
        switch self {
        case .missing: return "check the path"
        case .insecure(let path, let problem):
            switch problem {
            case .accessibleByOthers: return "chmod 600 \(path)"
            case .folderWritableByOthers(let mode) where mode.rawValue & 0o1000 != 0:
                // Sticky: a shared folder like /tmp. Never suggest chmod on it.
                return "\(path) is a shared folder: keep the vault in a folder of its own ('mkdir -m 700 DIR' and --vault or TOKENVAULT_PATH=DIR/tokens.vault)"
            case .folderWritableByOthers:
                return "chmod 700 \(path) if the folder is the vault's alone; otherwise keep the vault in a folder of its own ('mkdir -m 700 DIR' and --vault or TOKENVAULT_PATH=DIR/tokens.vault)"
            case .ownedByOtherUser(let uid):
                // Never a chown to yourself: the owner could have written anything there.
                let owner = UserName.of(uid)
                return "only \(owner) or root can change that: run tokenvault as its owner, with the settings the owner uses ('sudo -u \(UserName.sudoUser(uid)) env TOKENVAULT_KEYFILE=… TOKENVAULT_PATH=… tokenvault …': sudo resets the environment); never take over a file another user could have written"
            case .symlink, .notRegularFile: return "point --vault or TOKENVAULT_PATH at the real file"
            }
        case .alreadyExists: return "choose another path, or remove the file first if you are sure it is not needed"
        case .io(let path, _, let errno):
            switch errno {
            case .noSuchFileOrDirectory: return "check the path"
            case .permissionDenied, .notPermitted:
                return AccessDenial.find(for: path)?.hint ?? "check the permissions of the file and of the folders above it"
            case .readOnlyFileSystem: return "the file system is mounted read-only; use a vault on a writable one"
            case .noSpace, .diskQuotaExceeded: return "free some space (or quota) on that file system"
            default: return AccessDenial.find(for: path)?.hint ?? "check free space, the folder's permissions and the mount"
            }
        case .busy(let path, _): return "find the holder with 'fuser \(path)' and retry"
        case .tooLarge, .lineTooLong: return nil
        case .plaintextKept(let path, .replaced):
            return "look at what \(path) holds now; the file that was imported may still exist under another name: find it and delete it yourself"
        case .plaintextKept(let path, .changed):
            return "stop the app that rewrote it, then import it again ('tokenvault import PROFILE --from \(path) --remove-plaintext …')"
        case .plaintextKept(let path, .otherHardLinks):
            return "find every name with 'find / -xdev -samefile \(path)' and delete them all; then rotate the tokens, which were readable there"
        }
    }
}

extension AccessDenial {
    /// Whose file or folder it is and what that user or root can do; never a chown of another
    /// user's file or folder to yourself (its owner could have put anything there).
    var hint: String {
        let what = "\(isFolder ? "the folder" : "the file") \(path)"
        let me = UserName.current
        guard !isOwnedByCurrentUser else {
            return "\(what) is yours but does not let you in: chmod \(isFolder ? "u+rwx" : "u+rw") \(path)"
        }
        let name = UserName.of(owner)
        let granting = owner == 0 ? "root" : "\(name) or root"
        return "\(what) belongs to \(name) and does not let \(me) in: run tokenvault as \(name) ('sudo -u \(UserName.sudoUser(owner)) tokenvault …'), or have \(granting) grant \(me) access to it; never take over a file or folder of another user"
    }
}

extension ImportError {
    /// The command that fixes it, or the flag that overrides it.
    var hint: String? {
        switch self {
        case .chainHeldByOtherProfile(_, let holder):
            return "import it under '\(holder)', or remove that profile first with 'tokenvault remove \(holder)'"
        case .spentRefreshToken(_, let spentBy):
            // The profile that rotated away from the token, which may be another one.
            return Self.newerTokensHint(spentBy)
        case .olderThanVault(let profile, _, _):
            return Self.newerTokensHint(profile)
        }
    }

    private static func newerTokensHint(_ profile: String) -> String {
        "the vault's own tokens for '\(profile)' are newer: check 'tokenvault status \(profile)'; import fresh tokens from a new sign-in, or pass --force if you are sure these are current"
    }
}

extension RefreshError {
    /// The command that fixes it.
    var hint: String? {
        switch self {
        case .reauthenticationRequired(let profile, _), .noRefreshToken(let profile):
            // Without the profile at hand; ProfileFailure, which has it, prints the whole line.
            return "sign in again with 'tokenvault login \(profile) --server URL' (URL: the MCP server's address), or \(ReauthenticationCommand.signIn) and import the new tokens with the line 'tokenvault status \(profile)' prints"

        case .clientRejected(let profile, _):
            return "register the client again and run 'tokenvault import \(profile) --client-id NEW_ID …' with new tokens"
        case .configurationRejected(let profile, _):
            return "check the profile's token endpoint and resource with 'tokenvault status \(profile)', then re-import it with corrected values"
        case .transient:
            return "nothing to fix here; 'tokenvault refresh PROFILE' retries, and a still-valid access token keeps being served"
        case .sealFailed(let profile, _):
            return "free space or fix the vault folder, then retry: a long-running app seals the kept tokens on its next call; if a one-shot command lost them, the old refresh token is spent and 'tokenvault import \(profile) …' with new tokens is needed"
        case .rejectedAgain(let profile):
            return "check that the profile's resource matches the MCP server ('tokenvault status \(profile)') and that the token's scope suffices"
        }
    }
}

extension MCPClient {
    /// What makes the client stop using a chain tokenvault now refreshes, and why.
    func stopUsing(_ entry: ClientStoreEntry) -> String {
        let why = "the next refresh rotates the refresh token, and a client still holding the old one would spend a revoked token"
        switch self {
        case .inspector:
            return "clear this server's OAuth state in MCP Inspector (or stop using Inspector with it): \(why)"
        case .mcpRemote:
            return "remove this server from the MCP client that starts mcp-remote, then delete \(entry.file) and its _client_info.json yourself: \(why)"
        case .claudeCode:
            return "in Claude Code, clear this server's authentication (/mcp) or remove the server ('claude mcp remove NAME'): \(why)"
        }
    }

    /// What makes the client stop using a chain, in audit's words.
    var stopUsingAfterAudit: String {
        switch self {
        case .inspector: "clear that server's OAuth state in MCP Inspector"
        case .mcpRemote: "stop mcp-remote for that server and delete its files yourself"
        case .claudeCode: "clear that server's authentication in Claude Code (/mcp)"
        }
    }

    /// The variables the client reads its store's path from.
    var storeOverrides: String {
        switch self {
        case .inspector: "MCP_INSPECTOR_OAUTH_STATE_PATH, MCP_STORAGE_DIR"
        case .mcpRemote: "MCP_REMOTE_CONFIG_DIR"
        case .claudeCode: "CLAUDE_CONFIG_DIR"
        }
    }
}

extension ClientStoreError: ReportedError {
    var status: ExitStatus { isSelection ? .usage : .invalidInput }

    /// What to pass instead.
    var hint: String? {
        switch self {
        case .storeMissing(let client, _):
            return "check where \(client.name) keeps its store (\(client.storeOverrides)), or point --from at a copy"
        case .unrecognized:
            return "import that chain another way: pipe its token JSON to 'tokenvault import PROFILE --server URL'"
        case .noChains(let client, _):
            return "sign in to the server with \(client.name) first, or import from another client"
        case .noMatch(let client, _, _):
            if client == .mcpRemote {
                return "give --server exactly as mcp-remote was given it; mcp-remote started with --resource or --header names its files by another hash: pass that file with --from FILE --server URL"
            }
            return "pass one of the servers listed as --server URL, exactly as \(client.name) names it"
        case .ambiguous(_, nil, _):
            return "pass --server URL to pick one"
        case .ambiguous:
            return "save a copy of the store that keeps only the chain to import and pass it with --from FILE"
        case .serverRequired:
            return "pass --server URL, exactly as mcp-remote was given it"
        }
    }
}

extension DiscoveryError {
    /// What to pass instead, or to retry.
    var hint: String? {
        switch self {
        case .unreachable: return "check the network and retry"
        default: return "pass --token-endpoint URL (and --resource URI) instead of --server"
        }
    }
}

extension AuditFix {
    /// The exact command or step, as `audit` prints it.
    var text: String {
        switch self {
        case .keyfileInsteadOfEnvironment:
            return "keep the key in a keyfile (tokenvault keygen --output FILE) and set TOKENVAULT_KEYFILE instead"
        case .setMode(let mode, let path):
            return "chmod \(String(mode.rawValue & 0o7777, radix: 8)) \(path)"
        case .moveVaultIntoOwnFolder(let vault, let fileName):
            return "move the vault into a folder of its own: mkdir -m 700 DIR, mv \(vault) DIR/, and set TOKENVAULT_PATH=DIR/\(fileName)"
        case .replaceForeignKey(let uid):
            let owner = UserName.of(uid)
            return "a key \(owner) held may be known to \(owner): make your own with 'tokenvault keygen --output FILE' and re-seal with 'tokenvault rotate-key' (or run as \(owner), 'sudo -u \(UserName.sudoUser(uid)) tokenvault …', to use this one)"
        case .runAsOwner(let uid):
            let owner = UserName.of(uid)
            return "only \(owner) or root can change that: run tokenvault as its owner, with the settings the owner uses ('sudo -u \(UserName.sudoUser(uid)) env TOKENVAULT_KEYFILE=… TOKENVAULT_PATH=… tokenvault …': sudo resets the environment); never take over a file another user could have written"
        case .createVault:
            return "create it with 'tokenvault init'"
        case .replaceLinkWithFile:
            return "replace the link with the file itself"
        case .replaceWithVault:
            return "remove it and run 'tokenvault init' or restore the file"
        case .pointAtKeyfile:
            return "point TOKENVAULT_KEYFILE or --keyfile at the right file"
        case .moveKeyfileAway:
            return "move the keyfile to another folder (e.g. ~/.config/tokenvault/) and update TOKENVAULT_KEYFILE"
        case .importPlaintext(let path):
            return "import it first: tokenvault import PROFILE --token-endpoint URL --client-id ID --from \(path) --remove-plaintext (or 'tokenvault audit --fix --remove-plaintext' once imported)"
        case .removeImportedPlaintext:
            return "tokenvault audit --fix --remove-plaintext"
        case .giveKey:
            return "set TOKENVAULT_KEYFILE (or pass --keyfile) to the keyfile that opens the vault, and run 'tokenvault audit' again"
        case .useSealingKey(let id):
            return "use the keyfile that holds key id \(id) (TOKENVAULT_KEYFILE or --keyfile); after a rotation, keep the old key in it until the vault is re-sealed ('tokenvault keyfile add FILE --from OLD --last')"
        case .restoreVault:
            return "restore the vault from a backup, or start over with 'tokenvault init' and re-import every profile"
        case .importFromClient(let client, let servers):
            let server = servers.count == 1 ? servers[0] : "URL"
            let which = servers.count > 1 ? " for each of its servers" : ""
            return "import the chain\(which) into the vault: tokenvault import PROFILE --from-client \(client.rawValue) --server \(server); then \(client.stopUsingAfterAudit)"
        case .removeStrayFile(let path):
            return "rm \(path) (the next write also removes it)"
        case .untrackInGit(let path):
            return "git rm --cached \(path), add it to .gitignore, and rotate what it held"
        case .ignoreInGit:
            return "add it to .gitignore"
        case .verifyDatabaseServer:
            return "add sslmode=verify-full to the address (with sslrootcert=FILE for a private CA), or set PGSSLMODE=verify-full where the address sets no sslmode"
        case .passwordFileInsteadOfAddress:
            return "take the password out of the address and keep it in ~/.pgpass (0600) or the file PGPASSFILE names, or use a service (PGSERVICEFILE); then change the role's password, since it was exposed"
        case .passwordFileInsteadOfEnvironment:
            return "keep the password in ~/.pgpass (0600) or the file PGPASSFILE names, and unset PGPASSWORD"
        case .fixDatabaseAddress:
            return "check the address with psql (the same text, without vault=NAME), and that libpq is installed (Debian/Ubuntu: apt install libpq5)"
        }
    }
}

extension KeyFile.EditError: ReportedError {
    var status: ExitStatus {
        if case .duplicateKey = self { return .alreadyExists }
        return .usage
    }

    /// The command that shows what the keyfile holds.
    var hint: String? {
        switch self {
        case .duplicateKey(let path, _), .unknownKeyID(let path, _, _):
            return "see its keys with 'tokenvault keyfile list \(path)'"
        case .lastKey:
            return "add the key that replaces it first ('tokenvault keyfile add FILE --from NEW --first'), then remove this one"
        }
    }
}

extension AgentError {
    var hint: String? {
        switch self {
        case .unreachable:
            return "start the agent ('tokenvault agent --socket PATH --allow USER:PROFILE'), or point \(AgentClient.socketVariable) at its socket"
        case .refused(let profile, let uid, _): return "add --allow \(uid):\(profile) to the agent's command line, if this user should read it"
        case .unsafeSocketFolder(let path, _): return "make \(path) the agent user's own, mode 0750 (group may connect) or 0700"
        case .badAllowEntry: return "write it as USER:PROFILE[,PROFILE…] or @GROUP:PROFILE[,PROFILE…], e.g. --allow app:readonly"
        case .answered(let code, _) where code == ExitStatus.agentRefused.rawValue:
            return "the agent's operator can add --allow USER:PROFILE to 'tokenvault agent', if this user should read it"
        case .answered(let code, _) where code == ExitStatus.transient.rawValue:
            return "retry later; the agent's log says more"
        default: return nil
        }
    }
}
