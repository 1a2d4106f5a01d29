import SystemPackage

/// One problem `tokenvault audit` found. `check` is a stable identifier (README, "audit
/// --json"); `fix` is the exact command or step that repairs it.
public struct AuditFinding: Sendable, Equatable {
    public enum Severity: String, Sendable {
        /// Secrets are exposed or TokenVault would refuse the file.
        case error
        /// Weaker than it should be; not exposed yet.
        case warning
    }

    /// What `--fix` may do about it: the safe repairs only, and plaintext removal only when
    /// asked for.
    public enum Repair: Sendable, Equatable {
        case setPermissions(FilePermissions)
        case removeStrayFile
        case removePlaintext
    }

    public let check: String
    public let severity: Severity
    public let path: String
    public let problem: String
    public let fix: String
    public let repair: Repair?
    public internal(set) var fixed = false
    /// Why a repair that was asked for did not happen (`--fix --remove-plaintext` on a file that
    /// changed or has other hard links).
    public internal(set) var note: String?
}
