import SystemPackage

/// What is wrong with a file that must be private to its owner.
public enum FileProblem: Sendable, Equatable {
    case symlink
    case notRegularFile
    /// Group or others have some access; the mode found.
    case accessibleByOthers(FilePermissions)
    /// Owned by another user; the owner's uid.
    case ownedByOtherUser(UInt32)
    /// A folder that group or others can write to; the mode found.
    case folderWritableByOthers(FilePermissions)
}

/// Why `--remove-plaintext` left a plaintext token file in place.
public enum PlaintextKept: Sendable, Equatable {
    /// The path no longer names the file that was read: it was renamed, replaced or removed.
    case replaced
    /// The file has this many other hard links, which would keep the tokens readable.
    case otherHardLinks(Int)
    /// The file read was written to since (its size, times or bytes differ): it may hold
    /// tokens newer than the ones read.
    case changed
}

/// Failures of the vault, its keys and its files. Every case names the path or profile and the
/// cause; `hint` gives the command that fixes it. Never carries a secret.
public enum VaultError: Error, Sendable {
    case vaultMissing(path: String)
    case profileMissing(profile: String, path: String)
    case unreadable(path: String, VaultFormatError)
    /// The vault cannot be written again (its last generation) or would be too large to read.
    case unwritable(path: String, VaultFormatError)
    case insecure(path: String, FileProblem)
    case alreadyExists(path: String)
    case io(path: String, operation: String, Errno)
    case busy(path: String, waitedSeconds: Int)
    case noKey
    case keyfileMissing(path: String)
    /// A keyfile owned by another user (whose uid this is): that user may know the key.
    case foreignKeyfile(path: String, ownerID: UInt32)
    /// A keyfile larger than the limit (64 KiB): not a keyfile.
    case keyfileTooLarge(path: String, limit: Int)
    case malformedKey(source: String, line: Int)
    case emptyKeySource(source: String)
    case invalidProfileName(String)
    case invalidInput(String)
    /// A plaintext token file that was not overwritten or removed, and why.
    case plaintextKept(path: String, PlaintextKept)
}

extension VaultError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .vaultMissing(let path):
            return "OAuth token unavailable: no vault at \(path)"
        case .profileMissing(let profile, let path):
            return "OAuth token unavailable: no profile '\(profile)' in \(path)"
        case .unreadable(let path, let cause):
            return Self.describe(cause, path: path)
        case .unwritable(let path, let cause):
            switch cause {
            case .lastGeneration: return "\(path) is at its last generation (\(UInt64.max)) and cannot be written again"
            case .tooLarge(let size, let limit):
                return "\(path) cannot be written: it would be \(size) bytes, more than a vault may be (\(limit))"
            default: return Self.describe(cause, path: path)
            }
        case .insecure(let path, let problem):
            switch problem {
            case .symlink: return "\(path) is a symbolic link; refusing to follow it"
            case .notRegularFile: return "\(path) is not a regular file"
            case .accessibleByOthers(let mode):
                return "\(path) has mode \(Self.octal(mode)); it must be private to its owner (0600)"
            case .ownedByOtherUser(let uid):
                return "\(path) belongs to user \(UserName.described(uid)), not to you (\(UserName.current))"
            case .folderWritableByOthers(let mode):
                return "the vault's folder \(path) has mode \(Self.octal(mode)): others could replace the vault or its lock files"
            }
        case .alreadyExists(let path):
            return "\(path) already exists; refusing to overwrite it"
        case .io(let path, let operation, let errno):
            return "cannot \(operation) \(path): \(errno)"
        case .busy(let path, let seconds):
            return "another tokenvault process has held the writer lock on \(path) for over \(seconds)s"
        case .noKey:
            return "no vault key: TOKENVAULT_KEY, TOKENVAULT_KEYFILE and --keyfile are all unset"
        case .keyfileMissing(let path):
            return "keyfile \(path) does not exist"
        case .foreignKeyfile(let path, let uid):
            return "\(path) belongs to user \(UserName.described(uid)), not to you (\(UserName.current))"
        case .keyfileTooLarge(let path, let limit):
            return "keyfile \(path) is larger than \(limit / 1024) KiB; a keyfile holds a few key lines"
        case .malformedKey(let source, let line):
            return "line \(line) of \(source) is not a tokenvault key (expected tokenvault-key-v1:<base64 of 32 bytes>)"
        case .emptyKeySource(let source):
            return "\(source) holds no key"
        case .invalidProfileName(let name):
            return "'\(name)' is not a valid profile name (1-64 of A-Z a-z 0-9 - _ ., not starting with '.')"
        case .invalidInput(let reason):
            return reason
        case .plaintextKept(let path, .replaced):
            return "did not overwrite or remove \(path): it is no longer the file that was read (renamed, replaced or removed meanwhile); both are left as they are"
        case .plaintextKept(let path, .changed):
            return "did not overwrite or remove \(path): it changed after it was read and may hold newer tokens than the ones read; it is left as it is"
        case .plaintextKept(let path, .otherHardLinks(let count)):
            return "did not overwrite or remove \(path): it has \(count) other hard link\(count == 1 ? "" : "s"), under which the tokens would stay readable"
        }
    }

    private static func describe(_ cause: VaultFormatError, path: String) -> String {
        switch cause {
        case .truncated(let size): return "\(path) is truncated (\(size) bytes)"
        case .badLength(let size): return "\(path) is damaged: its length (\(size) bytes) was cut or extended"
        case .tooLarge(let size, let limit): return "\(path) is too large for a vault: \(size) bytes, at most \(limit)"
        case .lastGeneration: return "\(path) is at its last generation (\(UInt64.max))"
        case .notAVault: return "\(path) is not a tokenvault vault"
        case .unsupportedVersion(let version):
            return "\(path) has vault format version \(version); this tokenvault reads version \(VaultHeader.version)"
        case .unknownFlags(let flags):
            return "\(path) has header flags 0x\(String(flags, radix: 16)) this tokenvault does not know"
        case .sealedWithOtherKey(let id, let available):
            let tried = available.map(\.description).joined(separator: ", ")
            return "\(path) was sealed with a different key (id \(id)); the keys given have id \(tried)"
        case .tampered:
            return "\(path) is corrupted or was tampered with: authentication failed with the right key"
        case .badPadding: return "\(path) opened but its payload padding is malformed"
        case .badPayload(let reason): return "\(path) opened but its payload is malformed: \(reason)"
        case .unsupportedPayloadVersion(let version):
            return "\(path) holds payload version \(version); this tokenvault reads version \(VaultPayload.version)"
        }
    }

    static func octal(_ permissions: FilePermissions) -> String {
        let digits = String(permissions.rawValue & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The command that fixes it.
    public var hint: String? {
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
        case .busy(let path, _): return "find the holder with 'fuser \(path).lock' and retry"
        case .keyfileTooLarge:
            return "point TOKENVAULT_KEYFILE or --keyfile at the keyfile itself ('tokenvault keygen --output FILE' writes one)"
        case .foreignKeyfile(_, let uid):
            let owner = UserName.of(uid)
            return "run tokenvault as \(owner) ('sudo -u \(UserName.sudoUser(uid)) tokenvault …'), or get a copy of the key from \(owner) into a keyfile of your own (mode 0600); never take over a keyfile another user held, and for a key of your own, make one with 'tokenvault keygen --output FILE' and re-seal with 'tokenvault rotate-key'"
        case .noKey, .keyfileMissing:
            return "create a key with 'tokenvault keygen --output ~/.config/tokenvault/key' and set TOKENVAULT_KEYFILE to it"
        case .malformedKey, .emptyKeySource:
            return "regenerate the key with 'tokenvault keygen --output FILE', or restore the keyfile from its backup"
        case .invalidProfileName: return "choose a name like 'readonly' or 'admin'"
        case .invalidInput: return nil
        case .plaintextKept(let path, .replaced):
            return "look at what \(path) holds now; the file that was imported may still exist under another name: find it and delete it yourself"
        case .plaintextKept(let path, .changed):
            return "stop the app that rewrote it, then import it again ('tokenvault import PROFILE --from \(path) --remove-plaintext …')"
        case .plaintextKept(let path, .otherHardLinks):
            return "find every name with 'find / -xdev -samefile \(path)' and delete them all; then rotate the tokens, which were readable there"
        }
    }
}
