/// Why no vault key could be had. Every case names the keyfile or the variable the key was
/// looked for in; none carries key material.
public enum KeyError: Error, Sendable, Equatable {
    /// No key source is set: neither a keyfile (`--keyfile`), `TOKENVAULT_KEY` nor
    /// `TOKENVAULT_KEYFILE`, and nothing at the default keyfile's path (`nil` when no home
    /// folder is known).
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
    /// Reading or writing a keyfile failed: not private, not a regular file, already there, or
    /// a system call that failed.
    case file(FileError)
}

extension KeyError: CustomStringConvertible {
    /// Why no key could be had, as a message for a person; it never shows key material.
    public var description: String {
        switch self {
        case .noKey(let defaultKeyfile):
            let unset = "no vault key: --keyfile, TOKENVAULT_KEY and TOKENVAULT_KEYFILE are all unset"
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
        case .file(let error):
            return error.description
        }
    }
}
