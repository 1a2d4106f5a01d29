import TokenVault

/// The exit codes of `tokenvault`, one per failure class. README ("Exit codes") lists the same
/// table; scripts and monitors depend on these numbers, so they never change meaning.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    /// A bug or an unexpected system condition.
    case internalError = 1
    /// The command line was wrong (swift-argument-parser's validation code).
    case usage = 64
    /// No key configured, or a keyfile that is missing or malformed.
    case keyUnavailable = 10
    /// The vault was sealed with a key that is not among the keys given.
    case wrongKey = 11
    /// The vault is corrupted, truncated or was tampered with.
    case vaultDamaged = 12
    /// The vault has a format version or flags this build does not read.
    case unsupportedVersion = 13
    /// A vault, lock file or keyfile is a symlink, not private to its owner, or owned by another user.
    case insecurePermissions = 14
    /// OAuth token unavailable: no vault, no such profile, or a profile without tokens.
    case tokenUnavailable = 15
    /// Refusing to overwrite an existing file.
    case alreadyExists = 16
    /// Reading or writing a file failed (disk full, read-only file system, …).
    case ioFailure = 17
    /// Another process held the writer lock for too long.
    case busy = 18
    /// The token input (stdin or --from) is not usable.
    case invalidInput = 19

    init(_ error: VaultError) {
        switch error {
        case .vaultMissing, .profileMissing: self = .tokenUnavailable
        case .unreadable(_, let cause):
            switch cause {
            case .sealedWithOtherKey: self = .wrongKey
            case .unsupportedVersion, .unknownFlags, .unsupportedPayloadVersion: self = .unsupportedVersion
            case .truncated, .badLength, .notAVault, .tampered, .badPadding, .badPayload: self = .vaultDamaged
            }
        case .insecure: self = .insecurePermissions
        case .alreadyExists: self = .alreadyExists
        case .io: self = .ioFailure
        case .busy: self = .busy
        case .noKey, .keyfileMissing, .malformedKey, .emptyKeySource: self = .keyUnavailable
        case .invalidProfileName: self = .usage
        case .invalidInput: self = .invalidInput
        }
    }
}
