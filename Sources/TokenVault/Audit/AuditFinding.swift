import SystemPackage

/// One problem `tokenvault audit` found. `check` is a stable identifier (README, "audit
/// --json"); `fix` is what repairs it, which the command words.
package struct AuditFinding: Sendable, Equatable {
    package enum Severity: String, Sendable {
        /// Secrets are exposed or TokenVault would refuse the file.
        case error
        /// Weaker than it should be; not exposed yet.
        case warning
    }

    /// What `--fix` may do about it: the safe repairs only, and plaintext removal only when
    /// asked for.
    package enum Repair: Sendable, Equatable {
        case setPermissions(FilePermissions)
        case removeStrayFile
        case removePlaintext
    }

    package let check: String
    package let severity: Severity
    package let path: String
    package let problem: String
    package let fix: AuditFix
    package let repair: Repair?
    package internal(set) var fixed = false
    /// Why a repair that was asked for did not happen (`--fix --remove-plaintext` on a file that
    /// changed or has other hard links).
    package internal(set) var note: String?
}
