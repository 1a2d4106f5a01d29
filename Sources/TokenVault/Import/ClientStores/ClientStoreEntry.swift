import SystemPackage

/// One token chain an MCP client keeps: its tokens and what the store says about where they
/// are refreshed.
public struct ClientStoreEntry: Sendable {
    /// The MCP server the chain is for, as the client names it; `nil` when the store does not
    /// say (an mcp-remote file read through `--from`, named only by a hash).
    public let serverURL: String?
    /// How the store tells this chain from others for the same server (an issuer), for lists.
    public let detail: String?
    /// The tokens, with the client information the store holds merged in.
    public let tokens: ImportedTokens
    /// The token endpoint from the authorization server metadata the store keeps, if any.
    public let tokenEndpoint: String?
    /// The authorization server's issuer, where the store names it.
    public let issuer: String?
    /// The file that holds the tokens in plaintext.
    public let file: FilePath
    /// Set when the store gave only a relative `expires_in`: the expiry is counted from this
    /// time, the file's modification time.
    public let expiryCountedFrom: UnixTime?

    /// The entry as a list names it: its server URL, and the detail when there is one, as
    /// printable text (they come from another program's file).
    public var listed: String {
        let server = serverURL.map { PrintableText.clean($0, limit: nil) } ?? "(server unknown: \(file))"
        return detail.map { "\(server) (\(PrintableText.clean($0, limit: nil)))" } ?? server
    }
}
