import SystemPackage

/// Failures of the vault file and its lock files. Every case names the path or profile and the
/// cause; never carries a secret. What a file operation on them met is `.file`.
public enum VaultError: Error, Sendable {
    /// No vault at `path` (or no folder for it).
    case vaultMissing(path: String)
    /// The vault at `path` holds no profile named `profile`; `profiles` are the names it does hold,
    /// sorted. The names come with the error because whoever looked the profile up had just read
    /// them: a "did you mean" needs no second read of the vault (which could fail, or find other
    /// names), and profile names are not secrets.
    case profileMissing(profile: String, path: String, profiles: [String])
    /// The vault's bytes cannot be opened: damaged, tampered, sealed with another key, or of a
    /// format this build does not read (`VaultFormatError` says which).
    case unreadable(path: String, VaultFormatError)
    /// The vault cannot be written again (its last generation) or would be too large to read.
    case unwritable(path: String, VaultFormatError)
    /// Another process held the vault's writer lock (or a refresh lock) longer than the wait.
    case busy(path: String, waitedSeconds: Int)
    /// A profile name outside `ProfileName`'s rule: the vault holds none.
    case invalidProfileName(String)
    /// A re-seal under a new key did not read back the same profiles; nothing was written.
    case resealMismatch
    /// A file operation on the vault, its folder, a lock or a temp file failed.
    case file(FileError)
    /// A PostgreSQL vault's database could not be used (`DatabaseFailure` says how).
    case database(path: String, DatabaseFailure)
    /// Another writer replaced the version a compare-and-swap expected (a PostgreSQL vault);
    /// `VaultStore` reads and applies the change again, so callers see it only when that goes
    /// on for longer than the store's lock timeout.
    case versionConflict(path: String)
    /// The vault is at an older generation than this process has already seen: it was restored
    /// from an older copy, whose refresh tokens may have been spent since. Nothing is served
    /// from it.
    case rolledBack(path: String, generation: UInt64, seen: UInt64)
    /// A refresh lease could not be confirmed just before sending (the database unreachable, or
    /// the lease expired and was taken): nothing was sent.
    case leaseLost(path: String, detail: String)
    /// A copy onto the vault at `path` was refused: it is at `generation`, the same as or newer
    /// than the source's (`source`, at `sourceGeneration`), so the copy would undo later writes.
    case notOlder(path: String, generation: UInt64, source: String, sourceGeneration: UInt64)
}

extension VaultError {
    /// `error`, met working on the vault at `vault`: a missing file or folder is the vault's
    /// absence, and a lock held too long is the vault being busy.
    init(_ error: FileError, vault: String) {
        switch error {
        case .missing: self = .vaultMissing(path: vault)
        case .busy(_, let seconds): self = .busy(path: vault, waitedSeconds: seconds)
        default: self = .file(error)
        }
    }
}

extension VaultError: CustomStringConvertible {
    /// What went wrong, as a message for a person.
    public var description: String {
        switch self {
        case .vaultMissing(let path):
            return "OAuth token unavailable: no vault at \(path)"
        case .profileMissing(let profile, let path, _):
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
        case .busy(let path, let seconds):
            return "another tokenvault process has held the writer lock on \(path) for over \(seconds)s"
        case .invalidProfileName(let name):
            return "'\(name)' is not a valid profile name (1-64 of A-Z a-z 0-9 - _ ., not starting with '.')"
        case .resealMismatch:
            return "the re-sealed vault did not read back the same profiles; nothing was written"
        case .file(let error):
            return error.description
        case .database(let path, let failure):
            switch failure {
            case .unavailable(let message): return "the database of \(path) is unavailable: \(message)"
            case .refused(let message): return "the database of \(path) refused: \(message)"
            case .notInitialized(let message): return "the database of \(path) has no tokenvault tables: \(message)"
            case .noLibrary(let message): return "\(path) needs libpq (libpq.so.5), which could not be loaded: \(message)"
            }
        case .versionConflict(let path):
            return "other writers kept replacing \(path) while this change was applied"
        case .rolledBack(let path, let generation, let seen):
            return "\(path) is at generation \(generation), older than generation \(seen) this process has already seen: it was restored from an older copy, whose refresh tokens may be spent"
        case .leaseLost(let path, let detail):
            return "the refresh lease on \(path) could not be confirmed before sending (\(detail)); nothing was sent"
        case .notOlder(let path, let generation, let source, let sourceGeneration):
            let relation = generation == sourceGeneration ? "the same generation as" : "a newer generation than"
            return "\(path) is at generation \(generation), \(relation) \(source) (generation \(sourceGeneration)); refusing to copy over it"
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
}
