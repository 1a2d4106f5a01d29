import Testing
@testable import TokenVault

/// The shortcuts the benchmarks asked for (Benchmarks/RESULTS.md) must not change what anyone
/// observes: the reader's eight-bytes-at-a-time scan, the payload's member matching, the reuse
/// of guarded allocations, and `tokenvault token PROFILE` answered without argument parsing.
@Suite("fast paths behave like the slow ones")
struct FastPathTests {
    func parse(_ text: String) throws -> (JSONDocument, JSONValue) {
        let buffer = Secret(copying: text).withUnsafeBytes { SecureBuffer(copying: $0) }
        let document = try JSONDocument(parsing: buffer, length: buffer.count)
        return (document, document.root)
    }

    @Test("an escape or a control character is found at every offset of a string, around 8-byte words")
    func specialBytesAtEveryOffset() throws {
        for offset in 0..<24 {
            let before = String(repeating: "a", count: offset), after = String(repeating: "b", count: 19 - offset % 8)
            let (document, root) = try parse(#"{"k":""# + before + #"\"\n"# + after + #""}"#)
            guard case .object(let members) = root, case .string(let range) = members[0].value else {
                Issue.record("not an object with a string at offset \(offset)")
                continue
            }
            #expect(document.string(range) == before + "\"\n" + after, "offset \(offset)")
            #expect(throws: JSONSyntaxError.self, "raw control byte at offset \(offset)") {
                try parse(#"{"k":""# + before + "\u{7}" + after + #""}"#)
            }
        }
    }

    @Test("profile members in another order, repeated or unknown read as the map they mean: the last repeat counts")
    func memberOrder() throws {
        let json = #"{"version":1,"profiles":{"p":{"unknown":[1,{"x":2}],"client_id":"old","expires_at":5,"#
            + #""token_endpoint":"https://auth.example.com/t","access_token":"tvsecret-a","client_id":"new","#
            + #""failures":"7","refresh_token":"tvsecret-r","imported_at":3}}}"#
        let payload = SecureWriter.padded(json, toMultipleOf: VaultPayload.blockSize)
        let profile = try #require(try VaultPayload.decode(payload)["p"])
        #expect(profile.binding.clientID == "new")
        #expect(profile.binding.tokenEndpoint == "https://auth.example.com/t")
        #expect(profile.expiresAt == 5 && profile.importedAt == 3 && profile.refreshTokenIssuedAt == 3)
        #expect(profile.refreshState.consecutiveFailures == 7)
        #expect(profile.accessToken.map { $0.unsafeStringValue() } == "tvsecret-a")
        #expect(profile.refreshToken.map { $0.unsafeStringValue() } == "tvsecret-r")
        #expect(profile.tokenType == "Bearer" && profile.scope == nil && profile.refreshedAt == nil)
    }

    @Test("a guarded buffer handed out again at the same size comes back zeroed")
    func reusedBuffersAreZeroed() {
        // Sizes nothing else asks for, so that the one released is the one handed out again.
        for count in [33, 4093, 64 * 1024 - 5] {
            var first: SecureBuffer? = SecureBuffer(count: count)
            first!.bytes.initializeMemory(as: UInt8.self, repeating: 0xA5)
            first = nil
            let second = SecureBuffer(count: count)
            #expect(second.bytes.allSatisfy { $0 == 0 }, "\(count) bytes")
        }
    }

    @Test("tokenvault token PROFILE prints, fails and exits exactly like the parsed command")
    func unparsedTokenCommand() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        for profile in ["readonly", "missing", "help"] {
            let fast = try sandbox.run(["token", profile], secretOnStdout: true)
            let parsed = try sandbox.run(["token", "--vault", sandbox.vault, profile], secretOnStdout: true)
            #expect(fast.status == parsed.status, "\(profile)")
            #expect(fast.stdout == parsed.stdout, "\(profile)")
            #expect(fast.stderr == parsed.stderr, "\(profile)")
        }
        #expect(try sandbox.run(["token", "readonly"], secretOnStdout: true).stdout == "\(secretMarker)-access-readonly\n")
    }
}

extension SecureWriter {
    /// `text` padded the way the vault pads its payload, as the buffer a box opens into.
    static func padded(_ text: String, toMultipleOf blockSize: Int) -> SecureBuffer {
        var writer = SecureWriter(capacity: text.utf8.count + blockSize)
        writer.append(public: text)
        writer.pad(toMultipleOf: blockSize)
        let padded = writer.finish()
        return padded.withUnsafeBytes { SecureBuffer(copying: $0) }
    }
}
