import SystemPackage

/// An MCP client's plaintext token store, read and never written: the token chains it holds,
/// each with what the store says about its server and client. Every file is read into guarded
/// memory and parsed there (`PlaintextFile`, `JSONDocument`); no token becomes a `String`.
public struct ClientStore: Sendable {
    /// The client whose store this is.
    public let client: MCPClient
    /// The store's path: a file, or mcp-remote's folder.
    public let path: FilePath
    /// The token chains found, in the order the store lists them. Entries without tokens (signed
    /// out, or tokens the client keeps elsewhere) are left out.
    public let entries: [ClientStoreEntry]
    /// Each file read and what it held, to tell whether the client rewrote it since.
    private let filesRead: [(path: FilePath, contents: Secret)]

    /// Reads `client`'s store at `path` (its default, `MCPClient.defaultStore`, or a copy). For
    /// mcp-remote, `path` is its folder or one `<hash>_tokens.json` file, and `server` picks the
    /// files named by that URL's hash; the other clients name their servers themselves.
    public static func read(_ client: MCPClient, at path: FilePath, server: String?) throws -> ClientStore {
        var files: [StoreFile] = []
        let entries: [ClientStoreEntry]
        switch client {
        case .inspector:
            let file = try StoreFile(client, path)
            files = [file]
            entries = try inspectorEntries(file)
        case .claudeCode:
            let file = try StoreFile(client, path)
            files = [file]
            entries = try claudeCodeEntries(file)
        case .mcpRemote:
            entries = try mcpRemoteEntries(at: path, server: server, reading: &files)
        }
        return ClientStore(client: client, path: path, entries: entries, filesRead: files.map { ($0.path, $0.contents) })
    }

    /// The chain to import: the one for `server` (compared as written, a final `/` aside), or
    /// without a server the only one. Refuses when none or several fit, listing the chains by
    /// server URL.
    public func entry(for server: String?) throws(ClientStoreError) -> ClientStoreEntry {
        guard !entries.isEmpty else { throw .noChains(client: client, path: path.string) }
        guard let server else {
            if client == .mcpRemote, entries.contains(where: { $0.serverURL == nil }), entries.count > 1 || (try? path.stat())?.type == .directory {
                throw .serverRequired(client: client, path: path.string, files: entries.map(\.file.string))
            }
            guard entries.count == 1 else { throw .ambiguous(client: client, server: nil, candidates: entries.map(\.listed)) }
            return entries[0]
        }
        let matching = entries.filter { entry in entry.serverURL.map { Self.sameServer($0, server) } ?? true }
        guard !matching.isEmpty else {
            var available: [String] = []
            for url in entries.compactMap(\.serverURL).map({ PrintableText.clean($0, limit: nil) }) where !available.contains(url) {
                available.append(url)
            }
            throw .noMatch(client: client, server: server, available: available)
        }
        guard matching.count == 1 else { throw .ambiguous(client: client, server: server, candidates: matching.map(\.listed)) }
        return matching[0]
    }

    /// Throws `.plaintextKept(.changed)` unless every file read still holds what it held: a
    /// client that refreshed meanwhile wrote newer tokens, and the ones read may be spent.
    public func checkUnchanged() throws(FileError) {
        for (path, contents) in filesRead {
            let now: Secret
            do {
                now = try SecretReader.readLegacyFile(path).0
            } catch {
                throw .plaintextKept(path: path.string, .changed)
            }
            guard now.isEqual(to: contents) else { throw .plaintextKept(path: path.string, .changed) }
        }
    }

    private static func sameServer(_ a: String, _ b: String) -> Bool {
        func trimmed(_ url: String) -> Substring { url.hasSuffix("/") ? url.dropLast() : url[...] }
        return trimmed(a) == trimmed(b)
    }
}
