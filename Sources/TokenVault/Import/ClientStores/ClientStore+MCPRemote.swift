import SystemPackage

/// mcp-remote's folder (geelen/mcp-remote, src/lib/mcp-auth-config.ts): `<config>/<layout>/
/// <hash>_tokens.json`, the MCP SDK's `OAuthTokens` (`access_token`, `token_type`, `expires_in`,
/// `refresh_token`, `scope`: only a relative lifetime, no issue time), beside
/// `<hash>_client_info.json`, RFC 7591's client information (`client_id`, `client_secret`,
/// `token_endpoint_auth_method`, …). `<layout>` is `mcp-remote-<package version>` in older
/// releases (every release a folder of its own) and `mcp-remote-v1` since the store layout got a
/// version of its own (`CONFIG_STORE_VERSION`); every `mcp-remote-*` folder is read. `<hash>` is
/// `MCPRemoteHash` of the server URL. Neither file names the server or its token endpoint.
extension ClientStore {
    static func mcpRemoteEntries(at path: FilePath, server: String?, reading files: inout [StoreFile]) throws -> [ClientStoreEntry] {
        guard let status = try? path.stat() else { throw ClientStoreError.storeMissing(client: .mcpRemote, path: path.string) }
        if status.type != .directory {
            // A copy of one tokens file: the server is whatever --server says.
            return try mcpRemoteEntry(tokens: path, server: server, detail: nil, reading: &files).map { [$0] } ?? []
        }
        let layouts = ((try? path.directoryEntries()) ?? []).filter { $0.hasPrefix("mcp-remote-") }.sorted()
        let wanted = server.map { MCPRemoteHash.of($0) + "_tokens.json" }
        var entries: [ClientStoreEntry] = []
        for layout in layouts {
            let folder = path.appending(layout)
            let names = ((try? folder.directoryEntries()) ?? []).filter { name in wanted.map { $0 == name } ?? name.hasSuffix("_tokens.json") }.sorted()
            for name in names {
                if let entry = try mcpRemoteEntry(tokens: folder.appending(name), server: server, detail: layout, reading: &files) {
                    entries.append(entry)
                }
            }
        }
        return entries
    }

    private static func mcpRemoteEntry(tokens path: FilePath, server: String?, detail: String?, reading files: inout [StoreFile]) throws -> ClientStoreEntry? {
        let file = try StoreFile(.mcpRemote, path)
        files.append(file)
        guard let (found, countedFrom) = try file.tokens(file.root, client: .mcpRemote, at: "the token file") else { return nil }
        var tokens = found
        let name = path.lastComponent?.string ?? ""
        if name.hasSuffix("_tokens.json") {
            var clientInfo = path
            clientInfo.removeLastComponent()
            clientInfo.append(String(name.dropLast("_tokens.json".count)) + "_client_info.json")
            if (try? clientInfo.stat()) != nil {
                let info = try StoreFile(.mcpRemote, clientInfo)
                files.append(info)
                tokens.takeClient(from: info.root)
            }
        }
        return ClientStoreEntry(
            serverURL: server, detail: detail, tokens: tokens, tokenEndpoint: nil, issuer: nil,
            file: path, expiryCountedFrom: countedFrom
        )
    }
}
