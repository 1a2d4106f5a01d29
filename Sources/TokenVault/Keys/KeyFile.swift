import SystemPackage

/// Writing keyfiles.
package enum KeyFile {
    /// Creates `path` (0600, exclusively, not through a symbolic link) holding `key`, preceded by
    /// a comment with its id, and its missing folders (0700). Refuses to overwrite an existing file.
    package static func create(at path: FilePath, with key: VaultKey) throws(KeyError) {
        do {
            try write(key, to: path)
        } catch {
            throw .file(error)
        }
    }

    private static func write(_ key: VaultKey, to path: FilePath) throws(FileError) {
        var folder = path
        if folder.removeLastComponent(), !folder.isEmpty { try folder.createDirectories() }
        let descriptor = try PrivateFile.createExclusively(path)
        var complete = false
        defer {
            try? descriptor.close()
            if !complete { try? path.unlink() }
        }
        do {
            let bytes = contents(of: key)
            try descriptor.writeAll(bytes.written)
            try descriptor.sync()
        } catch {
            throw .io(path: path.string, operation: "write", error)
        }
        complete = true
    }

    /// Writes what a keyfile for `key` holds to `descriptor` (standard output for
    /// `tokenvault keygen --output -`), from guarded memory; `name` names it in an error.
    package static func write(_ key: VaultKey, to descriptor: FileDescriptor, name: String) throws(KeyError) {
        do {
            let bytes = contents(of: key)
            try descriptor.writeAll(bytes.written)
        } catch {
            throw .file(.io(path: name, operation: "write", error))
        }
    }

    /// The keyfile's text: a comment with the key's id, then the key.
    private static func contents(of key: VaultKey) -> SecureWriter {
        var text = SecureWriter(capacity: 256)
        text.append(public: "# tokenvault key id \(key.id)\n")
        text.append(key.textLine())
        return text
    }
}
