import SystemPackage

/// Why no vault key could be had. Every case names the keyfile or the variable the key was
/// looked for in; none carries key material.
public enum KeyError: Error, Sendable, Equatable {
    /// No key source is set (`--keyfile`, `--key-fd`, `TOKENVAULT_KEY`, `TOKENVAULT_KEY_COMMAND`,
    /// `TOKENVAULT_KEY_CREDENTIAL`, `TOKENVAULT_KEYFILE`), and nothing at the default keyfile's
    /// path (`nil` when no home folder is known).
    case noKey(defaultKeyfile: String?)
    /// No keyfile at `path`.
    case keyfileMissing(path: String)
    /// A keyfile owned by another user (whose uid this is): that user may know the key.
    case foreignKeyfile(path: String, ownerID: UInt32)
    /// A keyfile larger than `limit` bytes (64 KiB): not a keyfile.
    case keyfileTooLarge(path: String, limit: Int)
    /// Line `line` of `source` (a keyfile's path, or `TOKENVAULT_KEY`) is not a key line.
    case malformedKey(source: String, line: Int)
    /// `source` holds no key line at all.
    case emptyKeySource(source: String)
    /// `TOKENVAULT_KEY_CREDENTIAL` names a credential, but `CREDENTIALS_DIRECTORY` is unset: not
    /// running under systemd with `LoadCredential=`.
    case credentialsDirectoryUnset(name: String)
    /// `TOKENVAULT_KEY_CREDENTIAL` is not a plain file name (empty, `.`, `..`, or with a `/`).
    case badCredentialName(String)
    /// No credential `name` in `directory`: the unit does not load it.
    case credentialMissing(name: String, directory: String)
    /// The credentials folder is not one systemd makes: not a folder, another user's (not
    /// root's), or writable by group or others, so someone else could have put the key there.
    case unsafeCredentialsDirectory(path: String, FileProblem)
    /// The key command (`TOKENVAULT_KEY_COMMAND`) gave no key: why.
    case keyCommandFailed(CommandOutputError)
    /// The file descriptor `--key-fd` names cannot be read: why (`.fileTooLarge`: more than 64 KiB).
    case unreadableDescriptor(Int32, Errno)
    /// Reading or writing a keyfile failed: not private, not a regular file, already there, or
    /// a system call that failed.
    case file(FileError)
}

extension KeyError: CustomStringConvertible {
    /// Why no key could be had, as a message for a person; it never shows key material.
    public var description: String {
        switch self {
        case .noKey(let defaultKeyfile):
            let unset = "no vault key: --keyfile, --key-fd, TOKENVAULT_KEY, TOKENVAULT_KEY_COMMAND, TOKENVAULT_KEY_CREDENTIAL and TOKENVAULT_KEYFILE are all unset"
            guard let defaultKeyfile else { return unset + ", and no home folder is known for the default keyfile" }
            return unset + ", and there is no keyfile at \(defaultKeyfile)"
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
        case .credentialsDirectoryUnset(let name):
            return "\(KeySource.credentialVariable)=\(PrintableText.clean(name)) is set but \(KeySource.credentialsDirectoryVariable) is not: not running under systemd with LoadCredential="
        case .badCredentialName(let name):
            return "\(KeySource.credentialVariable)='\(PrintableText.clean(name))' is not a credential name (a plain file name, without '/')"
        case .credentialMissing(let name, let directory):
            return "there is no credential \(PrintableText.clean(name)) in \(directory) (\(KeySource.credentialsDirectoryVariable))"
        case .unsafeCredentialsDirectory(let path, let problem):
            switch problem {
            case .ownedByOtherUser(let uid):
                return "the credentials folder \(path) belongs to user \(UserName.described(uid)), neither to you (\(UserName.current)) nor to root: not a folder systemd made"
            case .folderWritableByOthers(let mode):
                return "the credentials folder \(path) has mode \(mode.octal): others could put a key of theirs there"
            default:
                return "the credentials folder \(path) is not a folder"
            }
        case .keyCommandFailed(let error):
            return "the key command (\(KeySource.commandVariable)) \(error)"
        case .unreadableDescriptor(let descriptor, let error):
            if error == .fileTooLarge {
                return "file descriptor \(descriptor) (\(KeySource.descriptorOption)) holds more than \(KeyRing.keyfileLimit / 1024) KiB; a key is a few lines"
            }
            return "cannot read the key from file descriptor \(descriptor) (\(KeySource.descriptorOption)): \(error)"
        case .file(let error):
            return error.description
        }
    }
}
