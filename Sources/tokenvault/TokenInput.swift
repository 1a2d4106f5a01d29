import SystemPackage
import TokenVault

/// Where `import` gets its tokens from.
enum TokenInput {
    static func readStandardInput() throws -> ImportedTokens {
        let input = try SecretReader.readAll(from: .standardInput, name: "standard input")
        guard !input.trimmingWhitespace().isEmpty else {
            throw CommandFailure(
                message: "no token JSON on standard input",
                hint: "pipe the JSON MCP Inspector shows under \"Access Tokens\" to 'tokenvault import PROFILE …', or use --from FILE",
                status: .invalidInput
            )
        }
        return try ImportedTokens.parse(input, now: WallClock.now)
    }

    /// Opens `--from FILE`. The file stays open until the import is done, so that
    /// `--remove-plaintext` overwrites and removes the file that was read and nothing else.
    static func openPlaintextFile(_ path: FilePath, forRemoval: Bool) throws -> PlaintextFile {
        do {
            return try PlaintextFile(opening: path, forRemoval: forRemoval)
        } catch {
            throw fromFileFailure(error, path: path)
        }
    }

    /// `--from` is token input: a path that is not a usable file is an input error (19) with a
    /// hint about --from, not a vault error.
    private static func fromFileFailure(_ error: VaultError, path: FilePath) -> any Error {
        switch error {
        case .insecure(_, .symlink):
            return CommandFailure(
                message: "--from \(path) is a symbolic link; --from reads only a regular file, never through a link",
                hint: "give the file's own path: --from \"$(readlink -f \(path))\"", status: .invalidInput
            )
        case .insecure(_, .notRegularFile):
            return CommandFailure(
                message: "--from \(path) is not a regular file (a FIFO, a device or a folder)",
                hint: "pipe the token JSON to stdin without --from, or save it to a file first", status: .invalidInput
            )
        case .io(_, "open", .noSuchFileOrDirectory):
            return CommandFailure(
                message: "--from \(path) does not exist",
                hint: "check the path; the old app kept its tokens in .mcp_tokens_*.json", status: .invalidInput
            )
        default:
            return error
        }
    }

    static func readPlaintextFile(_ file: borrowing PlaintextFile) throws -> ImportedTokens {
        let input = try file.read()
        let mode = file.permissions
        if mode.rawValue & 0o077 != 0 {
            Reporter.warning("\(file.path) had mode \(String(mode.rawValue & 0o777, radix: 8)): other users could read these tokens; consider them exposed and re-authenticate when you can")
        }
        return try ImportedTokens.parse(input, now: WallClock.now)
    }

    /// Prompts on the terminal, as the old setup script did, with echo off.
    static func prompt() throws -> ImportedTokens {
        Reporter.note("paste the tokens MCP Inspector shows (input is not echoed)")
        var tokens = ImportedTokens()
        tokens.accessToken = try nonEmpty(Terminal.readSecretLine(prompt: "access_token: "))
        tokens.refreshToken = try nonEmpty(Terminal.readSecretLine(prompt: "refresh_token: "))
        let expiresIn = try Terminal.readLine(prompt: "expires_in (seconds, empty if unknown): ")
        if !expiresIn.isEmpty {
            guard let seconds = Int64(expiresIn), abs(seconds) <= 10 * 365 * 86_400 else {
                throw CommandFailure(message: "expires_in must be a whole number of seconds (within ten years)", hint: "leave it empty when unknown", status: .invalidInput)
            }
            tokens.expiresAt = WallClock.now + seconds
        }
        guard tokens.accessToken != nil || tokens.refreshToken != nil else {
            throw CommandFailure(message: "no tokens entered", hint: nil, status: .invalidInput)
        }
        return tokens
    }

    private static func nonEmpty(_ secret: Secret) -> Secret? {
        secret.isEmpty ? nil : secret
    }

    static func readLine(from descriptor: FileDescriptor) throws -> Secret {
        try SecretReader.readLine(from: descriptor) ?? Secret(copying: UnsafeRawBufferPointer(start: nil, count: 0))
    }
}
