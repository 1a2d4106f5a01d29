/// The version `tokenvault --version` prints.
///
/// A release changes `current` in the commit it tags, as `vMAJOR.MINOR.PATCH` with the same
/// numbers (semantic versioning of the command line, exit codes and JSON schemas; the vault
/// format has its own version, SECURITY.md). Between releases it names the last release.
enum TokenVaultVersion {
    static let current = "0.1.0"
}
