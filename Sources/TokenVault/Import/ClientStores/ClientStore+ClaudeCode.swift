/// Claude Code's `.credentials.json` on Linux: its `mcpOAuth` map, one member per MCP server,
/// named `SERVER_NAME|HASH`, each `{ "serverName", "serverUrl", "clientId", "clientSecret"?,
/// "accessToken", "refreshToken", "expiresAt" (milliseconds since the epoch), "scope" }`
/// (anthropics/claude-code issue 47296 shows an entry; Claude Code's own OAuth login,
/// `claudeAiOauth`, sits beside it and is not an MCP token chain). A server Claude Code tried
/// and never signed in to keeps an entry with empty tokens and `expiresAt` 0: no chain.
extension ClientStore {
    static func claudeCodeEntries(_ file: StoreFile) throws(ClientStoreError) -> [ClientStoreEntry] {
        guard let map = file.root["mcpOAuth"] else { return [] }
        guard let servers = JSONObject(map, in: file.root.document) else {
            throw .unrecognized(client: .claudeCode, path: file.path.string, reason: "\"mcpOAuth\" is not an object")
        }
        var entries: [ClientStoreEntry] = []
        for (key, entry) in servers.objectMembers {
            let document = entry.document
            func reason(_ error: TokenInputError) -> ClientStoreError {
                .unrecognized(client: .claudeCode, path: file.path.string, reason: "mcpOAuth[\(key)]: \(error)")
            }
            var tokens = ImportedTokens()
            do {
                tokens.accessToken = try ImportedTokens.token(entry["accessToken"], in: document, field: "accessToken")
                tokens.refreshToken = try ImportedTokens.token(entry["refreshToken"], in: document, field: "refreshToken")
                guard tokens.accessToken != nil || tokens.refreshToken != nil else { continue }
                if let expiresAt = entry["expiresAt"], case .number = expiresAt {
                    tokens.expiresAt = try ImportedTokens.time(expiresAt, in: document, field: "expiresAt")
                }
            } catch {
                throw reason(error)
            }
            tokens.scope = entry.string("scope").flatMap { $0.isEmpty ? nil : $0 }
            tokens.clientID = entry.string("clientId")
            if case .string(let range)? = entry["clientSecret"], !range.isEmpty { tokens.clientSecret = document.secret(range) }
            entries.append(ClientStoreEntry(
                serverURL: entry.string("serverUrl"), detail: key, tokens: tokens, tokenEndpoint: nil, issuer: nil,
                file: file.path, expiryCountedFrom: nil
            ))
        }
        return entries
    }
}
