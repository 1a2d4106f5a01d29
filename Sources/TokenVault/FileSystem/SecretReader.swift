import SystemPackage

/// Reading secrets from descriptors and files straight into guarded memory.
package enum SecretReader {
    /// Everything up to end of file; fails when there is more than `limit` bytes.
    package static func readAll(from descriptor: FileDescriptor, name: String, limit: Int = 256 * 1024) throws(FileError) -> Secret {
        try PrivateFile.readSecret(from: descriptor, path: name, limit: limit)
    }

    /// One line, without its newline (`nil` at end of input).
    package static func readLine(from descriptor: FileDescriptor, limit: Int = 16 * 1024) throws(FileError) -> Secret? {
        let buffer = SecureBuffer(count: limit)
        var count = 0
        var byte: UInt8 = 0
        while true {
            let got: Int
            do {
                got = try withUnsafeMutableBytes(of: &byte) { try descriptor.read(into: $0) }
            } catch {
                throw .io(path: "the terminal", operation: "read", error as? Errno ?? .ioError)
            }
            if got == 0 { return count == 0 ? nil : Secret(buffer: buffer, range: 0..<count) }
            if byte == UInt8(ascii: "\n") { break }
            guard count < limit else { throw .lineTooLong(limit: limit) }
            buffer.base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
            count += 1
        }
        byte = 0
        return Secret(buffer: buffer, range: 0..<count).trimmingWhitespace()
    }

    /// A private file's contents (0600 or stricter, owned by the current user): keyfiles,
    /// client-secret files.
    package static func readPrivateFile(_ path: FilePath, limit: Int = 64 * 1024) throws(FileError) -> Secret {
        do {
            return try PrivateFile.readSecret(path, followSymlinks: true, limit: limit)
        } catch .missing {
            throw .io(path: path.string, operation: "open", .noSuchFileOrDirectory)
        }
    }

    /// A file that should have been private but may not be (the old plaintext token files).
    /// Returns its contents and the mode it had, so the caller can warn when others could read it.
    /// To remove the file afterwards, keep a `PlaintextFile` open instead.
    package static func readLegacyFile(_ path: FilePath, limit: Int = 256 * 1024) throws(FileError) -> (Secret, FilePermissions) {
        var file = try PlaintextFile(opening: path, forRemoval: false)
        return (try file.read(limit: limit), file.permissions)
    }

    /// Another program's plaintext file (an MCP client's token store), read and left as it is:
    /// its contents and its modification time.
    package static func readStoreFile(_ path: FilePath, limit: Int) throws(FileError) -> (contents: Secret, modified: UnixTime) {
        var file = try PlaintextFile(opening: path, forRemoval: false)
        return (try file.read(limit: limit), file.modificationTime)
    }

    /// Overwrites a plaintext file with zeros, syncs it, and removes it: `PlaintextFile`'s rules,
    /// for a file found by name rather than read first (`audit --fix --remove-plaintext`).
    package static func scrubAndRemove(_ path: FilePath) throws(FileError) {
        try PlaintextFile(opening: path, forRemoval: true).scrubAndRemove()
    }
}
