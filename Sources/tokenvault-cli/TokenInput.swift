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
    private static func fromFileFailure(_ error: FileError, path: FilePath) -> any Error {
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

    static func readPlaintextFile(_ file: inout PlaintextFile) throws -> ImportedTokens {
        let input = try file.read()
        let mode = file.permissions
        if mode.rawValue & 0o077 != 0 {
            Reporter.warning("\(file.path) had mode \(String(mode.rawValue & 0o777, radix: 8)): other users could read these tokens; consider them exposed and re-authenticate when you can")
        }
        return try ImportedTokens.parse(input, now: WallClock.now)
    }

    /// Prompts on the terminal, as the old setup script did, with echo off for the whole prompt.
    /// A paste of MCP Inspector's JSON at the first prompt is read as JSON, over as many lines as
    /// it takes; a typed token must look like one; a bad expires_in is asked again.
    static func prompt() throws -> ImportedTokens {
        Reporter.note("paste the tokens MCP Inspector shows, one at a time or its whole Access Tokens JSON (input is not echoed)")
        return try Terminal.withoutEcho { terminal in
            let first = try terminal.readLine(prompt: "access_token: ") ?? Secret(copying: "")
            if ImportedTokens.startsJSON(first) {
                return try ImportedTokens.parsePasted(firstLine: first, nextLine: { try terminal.readLine() }, now: WallClock.now)
            }
            var tokens = ImportedTokens()
            tokens.accessToken = try typed(first, field: "access_token")
            tokens.refreshToken = try typed(terminal.readLine(prompt: "refresh_token: "), field: "refresh_token")
            guard tokens.accessToken != nil || tokens.refreshToken != nil else {
                throw CommandFailure(message: "no tokens entered", hint: nil, status: .invalidInput)
            }
            tokens.expiresAt = try expiresAt(asking: terminal)
            return tokens
        }
    }

    /// A token typed at the prompt, checked for its shape; `nil` when left empty.
    private static func typed(_ line: Secret?, field: String) throws -> Secret? {
        guard let line, !line.isEmpty else { return nil }
        do {
            try ImportedTokens.checkTyped(line, field: field)
        } catch {
            throw CommandFailure(
                message: "\(error.description); nothing was imported",
                hint: "paste the \(field) value alone, or MCP Inspector's whole Access Tokens JSON at the access_token prompt (or pipe it to stdin)",
                status: .invalidInput
            )
        }
        return line
    }

    /// expires_in, asked up to three times: a typo must not cost the tokens already pasted.
    private static func expiresAt(asking terminal: Terminal.Session) throws -> UnixTime? {
        let tenYears: Int64 = 10 * 365 * 86_400
        for attempt in 1...3 {
            let answer = try terminal.readLine(prompt: "expires_in (seconds, empty if unknown): ").map { $0.unsafeStringValue() } ?? ""
            if answer.isEmpty { return nil }
            // Digits, or a minus and digits for a token already expired; never "+5", "0x10" or "1e3".
            let digits = answer.hasPrefix("-") ? answer.utf8.dropFirst() : answer.utf8[...]
            if !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
               let seconds = Int64(answer), (-tenYears...tenYears).contains(seconds) {
                return WallClock.now + seconds
            }
            if attempt < 3 { terminal.say("expires_in must be a whole number of seconds (at most ten years), or empty; try again\n") }
        }
        throw CommandFailure(message: "expires_in must be a whole number of seconds (within ten years)", hint: "leave it empty when unknown", status: .invalidInput)
    }
}
