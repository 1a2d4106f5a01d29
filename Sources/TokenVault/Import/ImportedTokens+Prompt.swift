/// What `import` accepts at its no-echo prompt. People paste there: a token, or MCP Inspector's
/// whole "Access Tokens" JSON. The JSON is read as JSON (never stored as an access token, which
/// an app would then send to the MCP server with the refresh token inside), and a typed token
/// must look like one.
extension ImportedTokens {
    /// The longest paste read at the prompt.
    package static let pasteLimit = 256 * 1024

    /// Whether a typed or pasted line starts a JSON object (its first byte is `{`).
    package static func startsJSON(_ line: Secret) -> Bool {
        line.withUnsafeBytes { $0.first == UInt8(ascii: "{") }
    }

    /// A token typed at the prompt: visible ASCII (0x21-0x7E), no spaces, braces or quotes.
    /// Anything else is a paste of something that is not a token (JSON, a sentence, a line with
    /// a label), refused before it is sealed.
    package static func checkTyped(_ token: Secret, field: String) throws(TokenInputError) {
        let shaped = token.withUnsafeBytes { bytes in
            bytes.isEmpty || TokenSyntax.isToken(bytes) && !bytes.contains { "{}\"'".utf8.contains($0) }
        }
        guard shaped else {
            throw .notTokenShaped(field: field)
        }
    }

    /// Reads a JSON object pasted over several lines: `firstLine`, then `nextLine()` until the
    /// braces balance (outside strings), into guarded memory, then parses it like stdin.
    package static func parsePasted(firstLine: Secret, nextLine: () throws -> Secret?, now: UnixTime) throws -> ImportedTokens {
        let buffer = SecureBuffer(count: pasteLimit)
        var count = 0
        var scanner = JSONObjectScanner()
        func append(_ line: Secret) throws(TokenInputError) {
            guard count + line.count + 1 <= pasteLimit else { throw .pasteTooLong(limit: pasteLimit) }
            line.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress { buffer.base.advanced(by: count).copyMemory(from: source, byteCount: bytes.count) }
                scanner.feed(bytes)
            }
            count += line.count
            buffer.base.storeBytes(of: UInt8(ascii: "\n"), toByteOffset: count, as: UInt8.self)
            count += 1
        }
        try append(firstLine)
        while !scanner.isComplete {
            guard let line = try nextLine() else { throw TokenInputError.pasteUnfinished }
            try append(line)
        }
        return try parse(Secret(buffer: buffer, range: 0..<count), now: now)
    }
}
