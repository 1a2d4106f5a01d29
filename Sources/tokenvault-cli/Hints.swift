import TokenVault

// What to type to fix each failure the library reports. The library's errors say what happened;
// the commands that fix it are this command's to name.

extension VaultError {
    /// The command that fixes it.
    var hint: String? {
        switch self {
        case .vaultMissing: return "create it with 'tokenvault init', then 'tokenvault import PROFILE …'"
        case .profileMissing(let profile, _):
            return "list profiles with 'tokenvault list'; import this one with 'tokenvault import \(profile) …'"
        case .unreadable(_, let cause):
            switch cause {
            case .sealedWithOtherKey:
                return "use the keyfile the vault was sealed with (TOKENVAULT_KEYFILE or --keyfile); after a key rotation, keep the old key second in the keyfile until every vault is re-sealed"
            case .unsupportedVersion, .unsupportedPayloadVersion, .unknownFlags:
                return "upgrade tokenvault, or restore the vault from a backup"
            default:
                return "restore the vault from a backup, or start over with 'tokenvault init' and re-import every profile"
            }
        case .unwritable(_, let cause):
            if case .tooLarge = cause { return "remove profiles no longer needed with 'tokenvault remove PROFILE', or keep some in a vault of their own (--vault)" }
            return "start a new vault with 'tokenvault init --vault NEW' and re-import every profile into it"
        case .busy(let path, _): return "find the holder with 'fuser \(path).lock' and retry"
        case .invalidProfileName: return "choose a name like 'readonly' or 'admin'"
        case .resealMismatch: return nil
        case .file(let error): return error.hint
        }
    }
}

extension KeyError {
    /// The command that fixes it.
    var hint: String? {
        switch self {
        case .foreignKeyfile(_, let uid):
            let owner = UserName.of(uid)
            return "run tokenvault as \(owner) ('sudo -u \(UserName.sudoUser(uid)) tokenvault …'), or get a copy of the key from \(owner) into a keyfile of your own (mode 0600); never take over a keyfile another user held, and for a key of your own, make one with 'tokenvault keygen --output FILE' and re-seal with 'tokenvault rotate-key'"
        case .keyfileTooLarge:
            return "point TOKENVAULT_KEYFILE or --keyfile at the keyfile itself ('tokenvault keygen --output FILE' writes one)"
        case .noKey, .keyfileMissing:
            return "create a key with 'tokenvault keygen --output ~/.config/tokenvault/key' and set TOKENVAULT_KEYFILE to it"
        case .malformedKey, .emptyKeySource:
            return "regenerate the key with 'tokenvault keygen --output FILE', or restore the keyfile from its backup"
        case .file(let error): return error.hint
        }
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
                return "only \(owner) or root can change that: run tokenvault as its owner ('sudo -u \(UserName.sudoUser(uid)) tokenvault …'); never take over a file another user could have written"
            case .symlink, .notRegularFile: return "point --vault or TOKENVAULT_PATH at the real file"
            }
        case .alreadyExists: return "choose another path, or remove the file first if you are sure it is not needed"
        case .io(_, _, let errno):
            switch errno {
            case .noSuchFileOrDirectory: return "check the path"
            case .permissionDenied, .notPermitted: return "check the permissions of the file and of the folders above it"
            case .readOnlyFileSystem: return "the file system is mounted read-only; use a vault on a writable one"
            case .noSpace, .diskQuotaExceeded: return "free some space (or quota) on that file system"
            default: return "check free space, the folder's permissions and the mount"
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
            return "sign in again (MCP Inspector's Quick OAuth Flow) and run 'tokenvault import \(profile) …' with the new tokens"
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

extension DiscoveryError {
    /// What to pass instead, or to retry.
    var hint: String? {
        switch self {
        case .unreachable: return "check the network and retry"
        default: return "pass --token-endpoint URL (and --resource URI) instead of --server"
        }
    }
}
