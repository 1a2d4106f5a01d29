import SystemPackage

/// Editing a keyfile in place: the keys of a rotation added first or last, an old key dropped.
/// The file at the path is replaced atomically (a 0600 temp file in the same folder, fsync,
/// rename, fsync of the folder), so a reader sees the old keys or the new ones, never part of
/// either, and a write that fails leaves the old file as it was.
extension KeyFile {
    /// Where keys go in the ring.
    package enum Position: Sendable {
        case first, last
    }

    /// Why an edit was refused; the keyfile is left as it was.
    package enum EditError: Error, Sendable, Equatable {
        /// The keyfile already holds a key with this id.
        case duplicateKey(path: String, KeyID)
        /// The keyfile holds no key with this id text; the ids it holds.
        case unknownKeyID(path: String, String, available: [KeyID])
        /// Dropping this key would leave the keyfile without one.
        case lastKey(path: String, KeyID)
    }

    /// Reads a keyfile to edit it. The rules of `KeyRing.load(keyfile:)`, and no symbolic link:
    /// the edit replaces the file at the path, which would replace the link, not its target.
    package static func keysForEditing(_ path: FilePath) throws(KeyError) -> KeyRing {
        try KeyRing.load(keyfile: path, followSymlinks: false)
    }

    /// The keys of `path` with `added` put first or last. Refuses a key already there.
    package static func adding(_ added: KeyRing, to path: FilePath, at position: Position) throws -> KeyRing {
        let current = try keysForEditing(path)
        if let duplicate = added.ids.first(where: current.ids.contains) {
            throw EditError.duplicateKey(path: path.string, duplicate)
        }
        let keys = position == .first ? added.keys + current.keys : current.keys + added.keys
        try replace(path, with: keys)
        return KeyRing(keys: keys)
    }

    /// The keys of `path` without the one whose id is `id` (16 hex digits). Refuses to drop the
    /// last key.
    package static func removing(keyID id: String, from path: FilePath) throws -> (removed: KeyID, left: KeyRing) {
        let current = try keysForEditing(path)
        guard let dropped = current.ids.first(where: { $0.description == id.lowercased() }) else {
            throw EditError.unknownKeyID(path: path.string, id, available: current.ids)
        }
        let keys = current.keys.filter { $0.id != dropped }
        guard !keys.isEmpty else { throw EditError.lastKey(path: path.string, dropped) }
        try replace(path, with: keys)
        return (dropped, KeyRing(keys: keys))
    }

    /// Replaces the keyfile at `path` with `keys` (each line preceded by a comment with its id),
    /// atomically and with mode 0600. Comments of the old file are not kept.
    package static func replace(_ path: FilePath, with keys: [VaultKey]) throws(KeyError) {
        do {
            try writeAtomically(keys, to: path)
        } catch {
            throw .file(error)
        }
    }

    private static func writeAtomically(_ keys: [VaultKey], to path: FilePath) throws(FileError) {
        var folder = path
        if !folder.removeLastComponent() || folder.isEmpty { folder = FilePath(".") }
        let name = path.lastComponent?.string ?? "key"
        let temporary = folder.appending(".\(name).tmp-\(Sodium.randomBytes(count: 6).hexString)")
        let descriptor = try PrivateFile.createExclusively(temporary)
        var renamed = false
        defer {
            try? descriptor.close()
            if !renamed { try? temporary.unlink() }
        }
        var text = SecureWriter(capacity: 256)
        for key in keys {
            text.append(public: "# tokenvault key id \(key.id)\n")
            text.append(key.textLine())
        }
        do {
            try descriptor.writeAll(text.written)
            try descriptor.sync()
        } catch {
            throw .io(path: temporary.string, operation: "write", error)
        }
        do {
            try temporary.rename(to: path)
            renamed = true
        } catch {
            throw .io(path: path.string, operation: "replace", error)
        }
        do {
            let directory = try FileDescriptor.open(folder, .readOnly, options: [.directory, .closeOnExec])
            defer { try? directory.close() }
            try directory.sync()
        } catch {
            throw .io(path: folder.string, operation: "sync folder", (error as? Errno) ?? .ioError)
        }
    }
}

extension KeyFile.EditError: CustomStringConvertible {
    /// What was refused, naming the keyfile and the key id; never key material.
    package var description: String {
        switch self {
        case .duplicateKey(let path, let id):
            return "\(path) already holds key id \(id); nothing was written"
        case .unknownKeyID(let path, let id, let available):
            return "\(path) holds no key with id '\(id)' (it holds \(available.map(\.description).joined(separator: ", ")))"
        case .lastKey(let path, let id):
            return "key id \(id) is the only key in \(path); a keyfile without a key opens nothing"
        }
    }
}
