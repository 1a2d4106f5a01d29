import SystemPackage

/// An MCP client that keeps OAuth token chains in a plaintext store of its own, which
/// `import --from-client` reads (never writes) and `audit` reports.
public enum MCPClient: String, CaseIterable, Sendable {
    /// MCP Inspector 2.x: one JSON file, `~/.mcp-inspector/storage/oauth.json`.
    case inspector
    /// mcp-remote: a folder, `~/.mcp-auth`, with a `mcp-remote-<version>` folder of
    /// `<hash>_tokens.json` and `<hash>_client_info.json` files.
    case mcpRemote = "mcp-remote"
    /// Claude Code on Linux: `~/.claude/.credentials.json`, its `mcpOAuth` map.
    case claudeCode = "claude-code"

    /// The client's name, for messages.
    public var name: String {
        switch self {
        case .inspector: "MCP Inspector"
        case .mcpRemote: "mcp-remote"
        case .claudeCode: "Claude Code"
        }
    }

    /// Where the client keeps its store unless told otherwise, with the client's own overrides
    /// read through `variable` (an empty value counts as unset, as the clients' `||` does):
    ///
    /// - Inspector: `MCP_INSPECTOR_OAUTH_STATE_PATH`, else `$MCP_STORAGE_DIR/oauth.json`, else
    ///   `~/.mcp-inspector/storage/oauth.json` (modelcontextprotocol/inspector,
    ///   core/auth/node/storage-node.ts and core/storage/store-io.ts);
    /// - mcp-remote: the folder `MCP_REMOTE_CONFIG_DIR`, else `~/.mcp-auth` (geelen/mcp-remote,
    ///   src/lib/mcp-auth-config.ts, `getConfigDir`);
    /// - Claude Code: `$CLAUDE_CONFIG_DIR/.credentials.json`, else `~/.claude/.credentials.json`.
    ///
    /// `nil` when the path depends on a home folder that is unknown.
    public func defaultStore(variable: (String) -> String?, home: FilePath?) -> FilePath? {
        func set(_ name: String) -> String? { variable(name).flatMap { $0.isEmpty ? nil : $0 } }
        switch self {
        case .inspector:
            if let path = set("MCP_INSPECTOR_OAUTH_STATE_PATH") { return FilePath(path) }
            if let folder = set("MCP_STORAGE_DIR") { return FilePath(folder).appending("oauth.json") }
            return home?.appending(".mcp-inspector/storage/oauth.json")
        case .mcpRemote:
            if let folder = set("MCP_REMOTE_CONFIG_DIR") { return FilePath(folder) }
            return home?.appending(".mcp-auth")
        case .claudeCode:
            if let folder = set("CLAUDE_CONFIG_DIR") { return FilePath(folder).appending(".credentials.json") }
            return home?.appending(".claude/.credentials.json")
        }
    }
}
