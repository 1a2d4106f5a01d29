/// The vault key `audit` was given, to check that it opens the vault and to tell which plaintext
/// token files the vault already holds.
package enum AuditKey: Sendable {
    /// No key source is set.
    case notGiven
    /// A key source is set but gave no key.
    case unusable(KeyError)
    /// The keys the key source gave.
    case loaded(KeyRing)
}
