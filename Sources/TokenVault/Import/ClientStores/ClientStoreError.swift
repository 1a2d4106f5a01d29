/// Why an MCP client's store cannot give the token chain asked for. The cases name the
/// client, the path and the server URLs; none carries a token.
public enum ClientStoreError: Error, Sendable, Equatable {
    /// Nothing at the store's path.
    case storeMissing(client: MCPClient, path: String)
    /// The file is not the shape the client writes; the reason names the part at fault.
    case unrecognized(client: MCPClient, path: String, reason: String)
    /// The store holds no token chain at all (signed out, or tokens kept elsewhere).
    case noChains(client: MCPClient, path: String)
    /// No chain for `server`; `available` lists the servers the store has chains for.
    case noMatch(client: MCPClient, server: String, available: [String])
    /// More than one chain fits: `server` (or, without one, the whole store). `candidates`
    /// lists them by server URL.
    case ambiguous(client: MCPClient, server: String?, candidates: [String])
    /// mcp-remote names its files by a hash of the server URL, so a chain is found only from
    /// the URL; `files` lists the token files there are.
    case serverRequired(client: MCPClient, path: String, files: [String])

    /// Whether the fix is a different choice on the command line (a server URL) rather than
    /// different input.
    public var isSelection: Bool {
        switch self {
        case .noMatch, .ambiguous, .serverRequired: true
        case .storeMissing, .unrecognized, .noChains: false
        }
    }
}

extension ClientStoreError: CustomStringConvertible {
    /// What is wrong, as a message for a person.
    public var description: String {
        switch self {
        case .storeMissing(let client, let path):
            return "\(client.name) keeps no tokens at \(path): there is no such file or folder"
        case .unrecognized(let client, let path, let reason):
            return "\(path) is not \(client.name)'s token store as tokenvault knows it: \(reason)"
        case .noChains(let client, let path):
            return "\(client.name)'s store \(path) holds no token chain (signed out, or its tokens are kept elsewhere)"
        case .noMatch(let client, let server, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "\(client.name) keeps no token chain for \(server); it has chains for: \(list)"
        case .ambiguous(let client, let server, let candidates):
            let which = server.map { "for \($0)" } ?? "in its store"
            return "\(client.name) keeps \(candidates.count) token chains \(which), so which to import is not clear: \(candidates.joined(separator: ", "))"
        case .serverRequired(let client, let path, let files):
            return "\(client.name) names its token files in \(path) by a hash of the server URL, so the chain to import is found only from that URL (token files there: \(files.isEmpty ? "none" : files.joined(separator: ", ")))"
        }
    }
}
