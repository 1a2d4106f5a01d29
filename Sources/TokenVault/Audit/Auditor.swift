import Logging
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The checks behind `tokenvault audit`: file types, owners and modes of the vault, its folder,
/// its lock files and the keyfiles; the key in the environment; plaintext token files left
/// near the vault; the plaintext token stores of MCP clients; stray temp files; vault or keys
/// tracked by git. For a PostgreSQL vault the file checks give way to the database's: TLS that
/// does not verify the server, a password in the address or the environment.
package struct Auditor: Sendable {
    package let address: VaultAddress
    package let keyfiles: [FilePath]
    package let keyInEnvironment: Bool
    /// Folders searched for old plaintext token files, besides the vault's.
    package let searchFolders: [FilePath]
    package let home: FilePath?
    /// The key at hand, checked against the vault.
    package let key: AuditKey
    /// Where each MCP client keeps its plaintext token store (`MCPClient.defaultStore`).
    package let clientStores: [(client: MCPClient, path: FilePath)]
    /// The PG* variables libpq reads (PGHOST, PGHOSTADDR, PGSSLMODE), by name; PGPASSWORD, when
    /// set, with an empty value (it is a secret: only its presence is checked).
    package let databaseEnvironment: [String: String]
    let logger: Logger

    /// The vault file; only the checks of a file vault use it.
    var location: VaultLocation {
        guard let location = address.fileLocation else { preconditionFailure("a file check on a PostgreSQL vault") }
        return location
    }

    /// The vault's file's folder, `nil` for a PostgreSQL vault.
    private var vaultFolder: FilePath? { address.fileLocation?.directory }

    package init(
        address: VaultAddress, keyfiles: [FilePath], keyInEnvironment: Bool, searchFolders: [FilePath], home: FilePath?,
        key: AuditKey, clientStores: [(client: MCPClient, path: FilePath)] = [], databaseEnvironment: [String: String] = [:],
        logger: Logger
    ) {
        self.databaseEnvironment = databaseEnvironment
        self.key = key
        self.clientStores = clientStores
        self.logger = logger
        self.address = address
        self.keyfiles = keyfiles
        self.keyInEnvironment = keyInEnvironment
        self.searchFolders = searchFolders
        self.home = home
    }

    package func run() -> [AuditFinding] {
        var findings: [AuditFinding] = []
        if case .postgres(let database) = address {
            findings += checkDatabase(database)
        } else {
            findings += checkFolder()
            findings += checkPrivateFile(location.path, role: "vault", required: true)
            for lock in lockFiles() { findings += checkPrivateFile(lock, role: "lock file", required: false) }
        }
        for keyfile in keyfiles { findings += checkKeyfile(keyfile) }
        if keyInEnvironment {
            findings.append(AuditFinding(
                check: "key-in-environment", severity: .warning, path: "TOKENVAULT_KEY",
                problem: "the vault key is in the environment, readable in /proc/PID/environ by this user and root and inherited by child processes",
                fix: .keyfileInsteadOfEnvironment, repair: nil))
        }
        let opened = openVault()
        findings += checkKey(opened)
        findings += checkPlaintext(holding: try? opened?.get())
        if address.fileLocation != nil { findings += checkStrayFiles() }
        for path in (address.fileLocation.map { [$0.path] } ?? []) + keyfiles { findings += checkGit(path) }
        return findings
    }

    /// Applies the safe repairs to errors: modes of files and of the vault's own folder.
    /// Warnings are repaired only with `fixWarnings`; plaintext files, whatever their severity,
    /// are removed only with `removePlaintext`. A folder that is sticky, someone else's, HOME or shared with other files
    /// never has a repair at all. Returns the findings with `fixed` set where the repair worked.
    package func apply(_ findings: [AuditFinding], removePlaintext: Bool, fixWarnings: Bool = false) -> [AuditFinding] {
        findings.map { finding in
            var finding = finding
            // --remove-plaintext is its own request.
            let asked = finding.severity == .error || fixWarnings || finding.repair == .removePlaintext
            guard asked else { return finding }
            let path = FilePath(finding.path)
            switch finding.repair {
            case .setPermissions(let mode)?:
                finding.fixed = path.withPlatformString { chmod($0, mode.rawValue) } == 0
            case .removeStrayFile?:
                // Under the writer lock, so that no writer is between creating it and renaming it.
                finding.fixed = (try? location.holding(location.lockPath, timeout: 5) {
                    try path.unlink()
                }) != nil
            case .removePlaintext?:
                guard removePlaintext else { break }
                do {
                    if finding.check == "plaintext-token-file" {
                        if let refusal = try removeIfHeld(path) { finding.note = refusal } else { finding.fixed = true }
                    } else {
                        try SecretReader.scrubAndRemove(path)
                        finding.fixed = true
                    }
                } catch {
                    finding.note = "\(error)"
                }
            case nil:
                break
            }
            return finding
        }
    }

    // MARK: Checks

    private func lstat(_ path: FilePath) -> Stat? {
        try? path.stat(followTargetSymlink: false)
    }

    private func checkFolder() -> [AuditFinding] {
        let folder = location.directory
        // Through a symbolic link: what protects the vault is the folder it points to.
        guard let status = try? folder.stat() else { return [] }
        let mode = status.permissions.rawValue & 0o7777
        var findings: [AuditFinding] = []
        let ours = status.userID == currentUserID
        if !ours {
            findings.append(finding("folder-owner", .error, folder, "the vault's folder belongs to user \(UserName.described(status.userID.rawValue)), who can replace the vault", .runAsOwner(uid: status.userID.rawValue)))
        }
        guard mode & 0o077 != 0 else { return findings }
        // chmod only a folder that is the vault's alone: never a sticky (shared, like /tmp) or
        // someone else's folder, never HOME, never one that holds other files.
        let own = ours && mode & 0o1000 == 0 && !isHome(folder) && holdsOnlyVaultFiles(folder)
        let fix: AuditFix = own ? .setMode(.ownerReadWriteExecute, folder) : moveVault
        let repair: AuditFinding.Repair? = own ? .setPermissions(.ownerReadWriteExecute) : nil
        let why = mode & 0o1000 != 0 ? " (sticky: a shared folder)" : own ? "" : "; it is not a folder of the vault's own"
        if mode & 0o022 != 0 {
            findings.append(finding("folder-writable-by-others", .error, folder, "the vault's folder has mode \(octal(mode))\(why): others can replace or delete the vault", fix, repair))
        } else {
            findings.append(finding("folder-open", .warning, folder, "the vault's folder has mode \(octal(mode))\(why); 0700 keeps others from even listing it", fix, repair))
        }
        return findings
    }

    /// The fix for a vault in a folder that is not its own.
    private var moveVault: AuditFix {
        .moveVaultIntoOwnFolder(vault: location.path, fileName: location.fileName)
    }

    private func isHome(_ folder: FilePath) -> Bool {
        guard let home else { return false }
        return Self.sameFile(folder, home)
    }

    /// Only the vault, its lock files and temp files (and a keyfile, a finding of its own).
    private func holdsOnlyVaultFiles(_ folder: FilePath) -> Bool {
        guard let names = try? folder.directoryEntries() else { return false }
        let keyfileNames = Set(keyfiles.compactMap { $0.lastComponent?.string })
        return names.allSatisfy { name in
            name == location.fileName || folder.appending(name) == location.lockPath || location.isRefreshLockFile(name)
                || location.isTemporaryFile(name) || keyfileNames.contains(name)
        }
    }

    private func checkPrivateFile(_ path: FilePath, role: String, required: Bool) -> [AuditFinding] {
        let id = role == "vault" ? "vault" : "lock"
        guard let status = lstat(path) else {
            return required ? [finding("\(id)-missing", .error, path, "there is no \(role)", .createVault)] : []
        }
        if status.type == .symbolicLink {
            return [finding("\(id)-symlink", .error, path, "the \(role) is a symbolic link, which tokenvault refuses to follow", .replaceLinkWithFile)]
        }
        guard status.type == .regular else {
            return [finding("\(id)-not-regular", .error, path, "the \(role) is not a regular file", .replaceWithVault)]
        }
        var findings: [AuditFinding] = []
        if status.userID != currentUserID {
            findings.append(finding("\(id)-owner", .error, path, "the \(role) belongs to user \(UserName.described(status.userID.rawValue))", .runAsOwner(uid: status.userID.rawValue)))
        }
        let mode = status.permissions.rawValue & 0o777
        if mode & 0o077 != 0 {
            findings.append(finding("\(id)-mode", .error, path, "the \(role) has mode \(octal(mode)); it must be 0600", .setMode(PrivateFile.privateMode, path), .setPermissions(PrivateFile.privateMode)))
        }
        return findings
    }

    private func checkKeyfile(_ path: FilePath) -> [AuditFinding] {
        guard let status = try? path.stat() else {
            return [finding("keyfile-missing", .error, path, "the keyfile does not exist", .pointAtKeyfile)]
        }
        var findings: [AuditFinding] = []
        if status.userID != currentUserID {
            findings.append(finding("keyfile-owner", .error, path, "the keyfile belongs to user \(UserName.described(status.userID.rawValue))", .replaceForeignKey(uid: status.userID.rawValue)))
        }
        let mode = status.permissions.rawValue & 0o777
        if mode & 0o077 != 0 {
            findings.append(finding("keyfile-mode", .error, path, "the keyfile has mode \(octal(mode)); it must be 0600 or 0400", .setMode(PrivateFile.privateMode, path), .setPermissions(PrivateFile.privateMode)))
        }
        var folder = path
        if let vaultFolder, folder.removeLastComponent(), Self.sameFile(folder.isEmpty ? FilePath(".") : folder, vaultFolder) {
            let open = ((try? location.directory.stat())?.permissions.rawValue ?? 0) & 0o077 != 0
            findings.append(finding("keyfile-beside-vault", open ? .error : .warning, path,
                "the keyfile sits in the vault's folder\(open ? ", which others can read" : ""): one copy or backup of the folder takes both",
                .moveKeyfileAway))
        }
        return findings
    }

    /// Overwrites and removes the plaintext token file at `path` only when the vault holds its
    /// token chain, read and compared through the one descriptor that is then overwritten.
    /// Returns why it was left, or `nil` once removed.
    private func removeIfHeld(_ path: FilePath) throws -> String? {
        guard let snapshot = try? openVault()?.get() else {
            return "not removed: without a key that opens the vault, audit cannot tell whether the vault holds its tokens"
        }
        var file = try PlaintextFile(opening: path, forRemoval: true)
        let contents = try file.read()
        guard (try? ImportedTokens.parse(contents, now: WallClock.now))?.chainHolder(in: snapshot.profiles) != nil else {
            return "not imported: the vault holds none of its tokens, so the file may be their only copy"
        }
        try file.scrubAndRemove()
        return nil
    }

    /// The vault opened with the key at hand; `nil` when there is no key or no vault.
    private func openVault() -> Result<VaultSnapshot, VaultError>? {
        guard case .loaded(let keys) = key else { return nil }
        if let location = address.fileLocation, lstat(location.path) == nil { return nil }
        return Result { () throws(VaultError) in try VaultStore(address: address, keys: keys, logger: logger).read() }
    }

    /// Whether the key at hand opens the vault. Problems the other checks report (a missing,
    /// foreign or open keyfile, a vault that is a link or someone else's) are not reported twice.
    private func checkKey(_ opened: Result<VaultSnapshot, VaultError>?) -> [AuditFinding] {
        if let location = address.fileLocation {
            guard let status = lstat(location.path), status.type == .regular else { return [] }
        } else if case .failure(.vaultMissing)? = opened {
            return [finding("vault-missing", .error, address.description, "there is no vault", .createVault)]
        }
        let vaultPath = address.description
        switch key {
        case .notGiven:
            return [finding("vault-key-missing", .warning, vaultPath,
                "no vault key given (TOKENVAULT_KEY, TOKENVAULT_KEYFILE or --keyfile): whether a key opens the vault, and which plaintext token files it already holds, was not checked",
                .giveKey)]
        case .unusable(let error):
            switch error {
            case .keyfileMissing, .foreignKeyfile, .file(.insecure): return []
            default:
                return [finding("vault-key-missing", .error, vaultPath, "the key given cannot be used: \(error)", .giveKey)]
            }
        case .loaded:
            guard case .failure(let error)? = opened else { return [] }
            switch error {
            case .unreadable(_, .sealedWithOtherKey(let id, _)):
                return [finding("vault-key-wrong", .error, vaultPath, "the key at hand does not open the vault: \(error)", .useSealingKey(id))]
            case .unreadable:
                return [finding("vault-unreadable", .error, vaultPath, "\(error)", .restoreVault)]
            default:
                return []
            }
        }
    }

    private func checkPlaintext(holding snapshot: VaultSnapshot?) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        var seen = Set<String>()
        var folders = searchFolders
        if let vaultFolder {
            folders.insert(vaultFolder, at: 0)
            var parent = vaultFolder
            if parent.removeLastComponent(), !parent.isEmpty { folders.append(parent) }
        }
        for folder in folders {
            guard let names = try? folder.directoryEntries() else { continue }
            for name in names where name.hasPrefix(".mcp_tokens_") && name.hasSuffix(".json") {
                let path = folder.appending(name)
                guard seen.insert(path.string).inserted else { continue }
                let holder = snapshot.flatMap { heldChain(path, in: $0) }
                let problem: String
                switch (snapshot, holder) {
                case (_, let holder?):
                    problem = "an old plaintext token file whose tokens the vault already holds (profile '\(holder)'): anyone who can read it has them"
                case (nil, _):
                    problem = "an old plaintext token file: anyone who can read it has the tokens (without a key that opens the vault, whether they are imported was not checked)"
                case (_?, nil):
                    problem = "an old plaintext token file the vault does not hold (never imported): it may be the only copy of these tokens, and anyone who can read it has them"
                }
                findings.append(finding("plaintext-token-file", .error, path, problem,
                    holder != nil ? .removeImportedPlaintext(path) : .importPlaintext(path),
                    .removePlaintext))
            }
        }
        findings += checkClientStores()
        return findings
    }

    /// Each MCP client's plaintext store that holds token chains: how many, for which servers
    /// (never a token). A store is the client's to change: no repair deletes it.
    private func checkClientStores() -> [AuditFinding] {
        var findings: [AuditFinding] = []
        for (client, path) in clientStores {
            let check = "\(client.rawValue)-storage"
            let store: ClientStore
            do {
                store = try ClientStore.read(client, at: path, server: nil)
            } catch ClientStoreError.storeMissing {
                continue
            } catch {
                findings.append(finding(check, .warning, path,
                    "\(client.name)'s token store, which may hold tokens in plaintext, could not be read: \(PrintableText.clean("\(error)", limit: nil))",
                    .importFromClient(client, servers: [])))
                continue
            }
            guard !store.entries.isEmpty else { continue }
            var servers: [String] = []
            for entry in store.entries {
                let server = entry.serverURL.map { PrintableText.clean($0, limit: nil) } ?? "a server named only by the hash in \(entry.file.lastComponent?.string ?? entry.file.string)"
                if !servers.contains(server) { servers.append(server) }
            }
            let count = store.entries.count
            findings.append(finding(check, .warning, path,
                "\(client.name) keeps \(count) OAuth token chain\(count == 1 ? "" : "s") here in plaintext, for \(servers.joined(separator: ", ")): anyone who can read it has them",
                .importFromClient(client, servers: store.entries.compactMap(\.serverURL).isEmpty ? [] : servers)))
        }
        return findings
    }

    /// The profile whose chain the plaintext token file at `path` holds, read in guarded memory.
    private func heldChain(_ path: FilePath, in snapshot: VaultSnapshot) -> String? {
        guard var file = try? PlaintextFile(opening: path, forRemoval: false), let contents = try? file.read() else { return nil }
        return (try? ImportedTokens.parse(contents, now: WallClock.now))?.chainHolder(in: snapshot.profiles)
    }

    /// Temp files are stray only when no writer holds the lock (a live writer's temp file is
    /// about to become the vault); with the lock taken, say nothing this time.
    private func checkStrayFiles() -> [AuditFinding] {
        let strays = try? location.holding(location.lockPath, timeout: 0) {
            (try? location.directory.directoryEntries())?.filter(location.isTemporaryFile) ?? []
        }
        return (strays ?? []).map { name in
            finding("stray-temp-file", .warning, location.directory.appending(name),
                    "a temp file left by a writer that was killed before it finished (sealed, but not the vault)",
                    .removeStrayFile(location.directory.appending(name)), .removeStrayFile)
        }
    }

    /// Tracked by git (error) or inside a work tree without being ignored (warning).
    private func checkGit(_ path: FilePath) -> [AuditFinding] {
        guard (try? path.stat()) != nil else { return [] }
        var folder = path
        guard folder.removeLastComponent() else { return [] }
        let directory = folder.isEmpty ? "." : folder.string
        let name = path.lastComponent?.string ?? path.string
        // No command the repository's config names (an fsmonitor hook) may run from here.
        let git = ["git", "-c", "core.fsmonitor=false", "-C", directory]
        guard Subprocess.run(git + ["rev-parse", "--is-inside-work-tree"], hiding: [KeySource.keyVariable]) == 0 else { return [] }
        if Subprocess.run(git + ["ls-files", "--error-unmatch", "--", name], hiding: [KeySource.keyVariable]) == 0 {
            return [finding("git-tracked", .error, path, "tracked by git: every clone and push carries it", .untrackInGit(path))]
        }
        if Subprocess.run(git + ["check-ignore", "-q", "--", name], hiding: [KeySource.keyVariable]) != 0 {
            return [finding("git-not-ignored", .warning, path, "inside a git work tree and not ignored: one 'git add .' away from a commit", .ignoreInGit)]
        }
        return []
    }

    private func lockFiles() -> [FilePath] {
        var locks = [location.lockPath]
        if let names = try? location.directory.directoryEntries() {
            locks += names.filter(location.isRefreshLockFile).sorted().map { location.directory.appending($0) }
        }
        return locks
    }

    func finding(_ check: String, _ severity: AuditFinding.Severity, _ path: String, _ problem: String, _ fix: AuditFix, _ repair: AuditFinding.Repair? = nil) -> AuditFinding {
        AuditFinding(check: check, severity: severity, path: path, problem: problem, fix: fix, repair: repair)
    }

    private func finding(_ check: String, _ severity: AuditFinding.Severity, _ path: FilePath, _ problem: String, _ fix: AuditFix, _ repair: AuditFinding.Repair? = nil) -> AuditFinding {
        AuditFinding(check: check, severity: severity, path: path.string, problem: problem, fix: fix, repair: repair)
    }

    private func octal(_ mode: CModeT) -> String { FilePermissions(rawValue: mode).octal }

    private static func sameFile(_ a: FilePath, _ b: FilePath) -> Bool {
        guard let x = try? a.stat(), let y = try? b.stat() else { return false }
        return x.deviceID == y.deviceID && x.inode == y.inode
    }
}
