import ArgumentParser
import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

extension MCPClient: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension Import {
    /// `--from-client`: the chain an MCP client keeps for `--server`, read from the client's
    /// store (or the copy `--from` names), sealed with the store's client id and token endpoint
    /// where it has them, else what discovery finds. The client's files are only read.
    func importFromClient(_ client: MCPClient) throws {
        let location = try storeLocation(client)
        let clientStore = try ClientStore.read(client, at: location, server: server)
        let entry = try clientStore.entry(for: server)
        Reporter.note("found \(client.name)'s token chain for \(PrintableText.clean(entry.listed, limit: nil)) in \(entry.file)")
        if let counted = entry.expiryCountedFrom {
            Reporter.note("\(entry.file) gives the access token's lifetime only as expires_in, without an issue time: counted from the file's modification time, \(ISO8601.format(counted))")
        }
        let serverURL = entry.serverURL ?? server
        let endpoint = tokenEndpoint ?? entry.tokenEndpoint
        if let endpoint, tokenEndpoint == nil {
            do {
                _ = try EndpointURL(endpoint)
            } catch {
                throw CommandFailure(
                    message: "the token endpoint \(client.name) keeps in \(entry.file) is not one tokenvault sends a refresh token to: \(error)",
                    hint: "pass --token-endpoint URL", status: .invalidInput
                )
            }
        }
        guard endpoint != nil || serverURL != nil else {
            throw CommandFailure(
                message: "\(entry.file) does not say which MCP server its tokens are for",
                hint: "pass --server URL, exactly as \(client.name) was given it", status: .usage
            )
        }
        let imported = try importProfile(
            discovering: endpoint == nil ? serverURL : nil, tokenEndpoint: endpoint ?? "",
            resource: resource ?? (endpoint == nil ? nil : serverURL), issuer: issuer ?? entry.issuer,
            reading: { entry.tokens },
            stillCurrent: {
                do {
                    try clientStore.checkUnchanged()
                } catch FileError.plaintextKept(let path, .changed) {
                    throw CommandFailure(
                        message: "\(path) changed after it was read: \(client.name) may have refreshed, and the tokens read may be spent; nothing was imported",
                        hint: "run the same 'tokenvault import \(profile) --from-client \(client.rawValue) …' again", status: .ioFailure
                    )
                }
            }
        )
        Reporter.note("\(entry.file) still holds this token chain in plaintext: \(client.stopUsing(entry))")
        if json { print(imported.json(plaintextRemoved: false)) }
    }

    /// `--from`, else where the client keeps its store, with the client's own overrides.
    private func storeLocation(_ client: MCPClient) throws -> FilePath {
        if let from { return FilePath(from) }
        let variable: (String) -> String? = { name in getenv(name).map { String(cString: $0) } }
        guard let path = client.defaultStore(variable: variable, home: HomeDirectory.current(variable: variable)) else {
            throw CommandFailure(
                message: "no home folder to find \(client.name)'s store in", hint: "pass its path with --from FILE", status: .usage
            )
        }
        return path
    }
}
