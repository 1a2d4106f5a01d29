import TokenVault

/// What brings a profile back after its refresh token was refused: `tokenvault login` when the
/// profile knows its MCP server, or a sign-in with another client and the import line with the
/// new tokens on stdin. Every hint that asks for a re-authentication takes its words from here.
enum ReauthenticationCommand {
    /// The first step, before the command.
    static let signIn = "sign in again with your MCP client"

    /// `tokenvault import NAME` with every setting the profile was imported with, quoted for a
    /// POSIX shell, and `--vault`/`--keyfile` when the command was given them. Never the client
    /// secret: `--client-secret-file FILE` stands for it.
    static func line(_ name: String, _ profile: TokenProfile, selection: VaultSelection) -> String {
        let binding = profile.binding
        var words = ["tokenvault", "import", name]
        if let vault = selection.vault { words += ["--vault", vault] }
        if let keyfile = selection.keyfile { words += ["--keyfile", keyfile] }
        words += ["--token-endpoint", binding.tokenEndpoint, "--client-id", binding.clientID]
        if let resource = binding.resource { words += ["--resource", resource] }
        if let issuer = binding.issuer { words += ["--issuer", issuer] }
        // What import picks on its own without --auth-method and without the input naming one.
        let implied: ClientAuthMethod = binding.clientSecret == nil ? .none : .clientSecretBasic
        if binding.authMethod != implied { words += ["--auth-method", binding.authMethod.rawValue] }
        if let lifetime = profile.refreshTokenLifetime { words += ["--refresh-lifetime", DurationText.text(lifetime)] }
        var line = words.map(ShellWord.quoted).joined(separator: " ")
        if binding.clientSecret != nil { line += " --client-secret-file FILE" }
        return line
    }

    /// `tokenvault login NAME --server URL` when the profile knows its MCP server: its `resource`
    /// is the server's canonical URI (RFC 8707), which login discovers everything else from. Login
    /// registers a client of its own when it has none; a profile with a pre-registered client
    /// keeps the import line as well.
    static func loginLine(_ name: String, _ profile: TokenProfile, selection: VaultSelection) -> String? {
        guard let resource = profile.binding.resource else { return nil }
        var words = ["tokenvault", "login", name]
        if let vault = selection.vault { words += ["--vault", vault] }
        if let keyfile = selection.keyfile { words += ["--keyfile", keyfile] }
        words += ["--server", resource]
        return words.map(ShellWord.quoted).joined(separator: " ")
    }

    /// The whole advice: login when it can, else (and as well) a sign-in with the MCP client and
    /// the import line with the new tokens on stdin.
    static func advice(_ name: String, _ profile: TokenProfile, selection: VaultSelection) -> String {
        let importing = "import the new tokens (on stdin) with: \(line(name, profile, selection: selection))"
        if let login = loginLine(name, profile, selection: selection) {
            return "sign in again with '\(login)'; or \(signIn), then \(importing)"
        }
        return "\(signIn), then \(importing)"
    }
}
