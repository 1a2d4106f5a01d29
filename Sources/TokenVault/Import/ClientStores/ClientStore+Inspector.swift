/// MCP Inspector 2.x's `oauth.json`, in every shape the Inspector itself reads
/// (modelcontextprotocol/inspector):
///
/// - `{ "servers": { URL: state }, "idpSessions": … }`, the plain JSON it writes
///   (core/auth/oauth-persist.ts, `serializeOAuthPersistBlob`), maybe with a top-level
///   `secretsNamespace` (core/auth/node/oauth-persist-file.ts);
/// - `{ "state": { "servers": … }, "version": N }`, the older persistence envelope of its
///   zustand store (core/auth/store.ts, `persist(…, { name: "mcp-inspector-oauth" })`), still
///   accepted on read (core/auth/oauth-persist.ts, `parseOAuthPersistBlob`).
///
/// A server's state keeps its credentials per authorization server issuer in current releases,
/// `{ "activeIssuer": ISSUER, "byIssuer": { ISSUER: { "tokens", "clientInformation",
/// "preregisteredClientInformation", "serverMetadata", … } } }` (the `(server, issuer)` store of
/// core/auth/store.ts since inspector pull request 1694), and directly under the server in older
/// files, `{ "tokens", "clientInformation", "preregisteredClientInformation", "serverMetadata",
/// "scope", "codeVerifier" }` (core/auth/store.ts, `ServerOAuthState`). `tokens` is the MCP SDK's
/// `OAuthTokens` (`access_token`, `token_type`, `expires_in`, `refresh_token`, `scope`) and has no
/// issue time; the client information is RFC 7591's (`client_id`, `client_secret`,
/// `token_endpoint_auth_method`); `serverMetadata` is RFC 8414's (`issuer`, `token_endpoint`).
/// Releases that keep tokens in a secret store leave no usable token in the file: such servers
/// have no chain here.
extension ClientStore {
    static func inspectorEntries(_ file: StoreFile) throws(ClientStoreError) -> [ClientStoreEntry] {
        let payload: JSONObject
        if let state = file.root.object("state"), file.root["version"] != nil {
            payload = state
        } else if file.root["servers"] != nil || file.root["idpSessions"] != nil {
            payload = file.root
        } else {
            throw .unrecognized(client: .inspector, path: file.path.string, reason: "it has neither \"servers\" nor the {\"state\", \"version\"} envelope")
        }
        guard let servers = payload.object("servers") else {
            if payload["servers"] == nil { return [] }
            throw .unrecognized(client: .inspector, path: file.path.string, reason: "\"servers\" is not an object")
        }
        var entries: [ClientStoreEntry] = []
        for (url, server) in servers.objectMembers {
            guard let byIssuer = server.object("byIssuer") else {
                if let entry = try inspectorEntry(file, url: url, issuer: nil, bucket: server, server: server) { entries.append(entry) }
                continue
            }
            var found: [ClientStoreEntry] = []
            for (issuer, bucket) in byIssuer.objectMembers {
                if let entry = try inspectorEntry(file, url: url, issuer: issuer, bucket: bucket, server: server) { found.append(entry) }
            }
            // The Inspector uses the active issuer's credentials; the others wait for a change of
            // authorization server.
            if let active = server.string("activeIssuer"), let current = found.first(where: { $0.issuer == active }) {
                found = [current]
            }
            entries += found
        }
        return entries
    }

    private static func inspectorEntry(
        _ file: StoreFile, url: String, issuer: String?, bucket: JSONObject, server: JSONObject
    ) throws(ClientStoreError) -> ClientStoreEntry? {
        let place = issuer.map { "servers[\(url)].byIssuer[\($0)].tokens" } ?? "servers[\(url)].tokens"
        guard let object = bucket.object("tokens"), let (found, countedFrom) = try file.tokens(object, client: .inspector, at: place) else {
            return nil
        }
        var tokens = found
        if let client = bucket.object("clientInformation") ?? bucket.object("preregisteredClientInformation") {
            tokens.takeClient(from: client)
        }
        let metadata = bucket.object("serverMetadata") ?? server.object("serverMetadata")
        return ClientStoreEntry(
            serverURL: url, detail: issuer.map { "issuer \($0)" }, tokens: tokens,
            tokenEndpoint: metadata?.string("token_endpoint"), issuer: issuer ?? metadata?.string("issuer"),
            file: file.path, expiryCountedFrom: countedFrom
        )
    }
}
