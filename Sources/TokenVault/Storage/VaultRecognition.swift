import SystemPackage

/// Whether a file is a vault at all, for a command deciding how to speak of a file it will not
/// overwrite: removing a vault loses its tokens, removing a stray file does not.
package enum VaultRecognition {
    /// The file at `path` begins with the vault magic (SECURITY.md, "File format"): a vault of
    /// some version, whether or not it opens with the keys at hand. `false` when it cannot be read.
    package static func isVault(at path: FilePath) -> Bool {
        guard let descriptor = try? FileDescriptor.open(path, .readOnly, options: [.noFollow, .closeOnExec, .nonBlocking], retryOnInterrupt: true) else {
            return false
        }
        return (try? descriptor.closeAfter {
            var start = [UInt8](repeating: 0, count: VaultHeader.magic.count)
            let count = try start.withUnsafeMutableBytes { try descriptor.read(into: $0, retryOnInterrupt: true) }
            return count == start.count && start == VaultHeader.magic
        }) ?? false
    }
}
