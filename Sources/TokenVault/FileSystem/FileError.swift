import SystemPackage

/// Why a file operation failed. Every case names the path (or says what was read) and the
/// cause; none carries a file's contents. The layers above map these to their own errors where
/// a case means more there (a missing vault, a keyfile that is not there).
public enum FileError: Error, Sendable, Equatable {
    /// Nothing at `path`, where the caller expected a file it named.
    case missing(path: String)
    /// The file is not private to its owner, or not reached safely (`FileProblem`).
    case insecure(path: String, FileProblem)
    /// An exclusive create found a file at `path`; nothing was overwritten.
    case alreadyExists(path: String)
    /// A system call failed: what was being done (`open`, `read`, `write`, …) and the error.
    case io(path: String, operation: String, Errno)
    /// Another process held the lock at `path` for longer than the caller waits.
    case busy(path: String, waitedSeconds: Int)
    /// The file (or input) named `path` holds more than `limit` bytes; none of it is kept.
    case tooLarge(path: String, limit: Int)
    /// A line read from a terminal or pipe is longer than `limit` bytes.
    case lineTooLong(limit: Int)
    /// A plaintext token file was not overwritten or removed, and why (`PlaintextFile`).
    case plaintextKept(path: String, PlaintextKept)
}

extension FileError: CustomStringConvertible {
    /// What went wrong and with which path, as a message for a person.
    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path) does not exist"
        case .insecure(let path, let problem):
            switch problem {
            case .symlink: return "\(path) is a symbolic link; refusing to follow it"
            case .notRegularFile: return "\(path) is not a regular file"
            case .accessibleByOthers(let mode):
                return "\(path) has mode \(mode.octal); it must be private to its owner (0600)"
            case .ownedByOtherUser(let uid):
                return "\(path) belongs to user \(UserName.described(uid)), not to you (\(UserName.current))"
            case .folderWritableByOthers(let mode):
                return "the vault's folder \(path) has mode \(mode.octal): others could replace the vault or its lock files"
            }
        case .alreadyExists(let path):
            return "\(path) already exists; refusing to overwrite it"
        case .io(let path, let operation, let errno):
            return "cannot \(operation) \(path): \(errno)"
        case .busy(let path, let seconds):
            return "another process has held the lock \(path) for over \(seconds)s"
        case .tooLarge(let path, let limit):
            return "\(path) is larger than \(limit) bytes"
        case .lineTooLong(let limit):
            return "input line longer than \(limit) bytes"
        case .plaintextKept(let path, .replaced):
            return "did not overwrite or remove \(path): it is no longer the file that was read (renamed, replaced or removed meanwhile); both are left as they are"
        case .plaintextKept(let path, .changed):
            return "did not overwrite or remove \(path): it changed after it was read and may hold newer tokens than the ones read; it is left as it is"
        case .plaintextKept(let path, .otherHardLinks(let count)):
            return "did not overwrite or remove \(path): it has \(count) other hard link\(count == 1 ? "" : "s"), under which the tokens would stay readable"
        }
    }
}
