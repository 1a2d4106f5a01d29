import Foundation
import Testing

/// audit compares plaintext token files with the vault's chains before deleting any, and checks
/// that the key at hand opens the vault.
@Suite("audit: vault key and imported plaintext")
struct AuditVaultKeyTests {
    private let importArguments = ["import", "admin", "--token-endpoint", "https://auth.example.com/token", "--client-id", "abc"]

    private func tokens(_ name: String) -> String {
        #"{"access_token":"\#(secretMarker)-at-\#(name)","refresh_token":"\#(secretMarker)-rt-\#(name)","expires_in":3600}"#
    }

    private func write(_ path: String, _ text: String) {
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
    }

    private func findings(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                  "\(result.output)", sourceLocation: sourceLocation)
        return try #require(object["findings"] as? [[String: Any]], sourceLocation: sourceLocation)
    }

    enum History: String, Sendable, CaseIterable {
        /// The file's tokens were never imported; the vault holds another chain.
        case neverImported = "never imported"
        /// The file's chain is the profile's current one.
        case current = "the profile's current chain"
        /// The profile has moved on from the file's refresh token (another import replaced it).
        case movedOn = "a refresh token the profile moved on from"
        /// The vault key is not at hand, so nothing can be compared.
        case noKey = "no key at hand"
    }

    @Test("--fix --remove-plaintext deletes a plaintext file only when the vault holds its chain", arguments: History.allCases)
    func removesOnlyImported(_ history: History) throws {
        let sandbox = try Sandbox()
        let legacy = sandbox.directory.file(".mcp_tokens_admin.json")
        let old = tokens("old")
        switch history {
        case .neverImported, .noKey:
            try sandbox.expectSuccess(importArguments, stdin: tokens("other"))
        case .current:
            try sandbox.expectSuccess(importArguments, stdin: old)
        case .movedOn:
            try sandbox.expectSuccess(importArguments, stdin: old)
            try sandbox.expectSuccess(importArguments, stdin: tokens("new"))
        }
        write(legacy, old)
        let environment: [String: String?] = history == .noKey ? ["TOKENVAULT_KEYFILE": nil] : [:]
        let result = try sandbox.run(["audit", "--json", "--fix", "--remove-plaintext"], environment: environment)
        let finding = try #require(try findings(result).first { $0["check"] as? String == "plaintext-token-file" })
        switch history {
        case .current, .movedOn:
            #expect(result.status == 0, "\(result.output)")
            #expect(finding["fixed"] as? Bool == true)
            #expect(!FileManager.default.fileExists(atPath: legacy))
        case .neverImported:
            #expect(result.status == 31)
            #expect(finding["fixed"] as? Bool == false)
            #expect(finding["problem"] as? String == "an old plaintext token file the vault does not hold (never imported): it may be the only copy of these tokens, and anyone who can read it has them")
            #expect(finding["note"] as? String == "not imported: the vault holds none of its tokens, so the file may be their only copy")
            #expect((finding["fix"] as? String)?.hasPrefix("import it first: tokenvault import PROFILE --token-endpoint URL --client-id ID --from \(legacy) --remove-plaintext") == true)
            #expect(try String(contentsOfFile: legacy, encoding: .utf8) == old)
        case .noKey:
            #expect(result.status == 31)
            #expect(finding["fixed"] as? Bool == false)
            #expect(finding["note"] as? String == "not removed: without a key that opens the vault, audit cannot tell whether the vault holds its tokens")
            #expect(try String(contentsOfFile: legacy, encoding: .utf8) == old)
        }
    }

    @Test("the text report says a never-imported file was not removed, and how to import it first")
    func textReport() throws {
        let sandbox = try Sandbox()
        let legacy = sandbox.directory.file(".mcp_tokens_admin.json")
        write(legacy, tokens("old"))
        let result = try sandbox.run(["audit", "--fix", "--remove-plaintext"])
        #expect(result.status == 31)
        #expect(result.stdout == """
            error: \(legacy): an old plaintext token file the vault does not hold (never imported): it may be the only copy of these tokens, and anyone who can read it has them
              not fixed: not imported: the vault holds none of its tokens, so the file may be their only copy
              fix: import it first: tokenvault import PROFILE --token-endpoint URL --client-id ID --from \(legacy) --remove-plaintext (or 'tokenvault audit --fix --remove-plaintext' once imported)
            audit of \(sandbox.vault): 1 finding, 1 left to fix

            """)
    }

    @Test("no key at hand is a vault-key-missing warning that says what was not checked")
    func noKey() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.run(["audit"], environment: ["TOKENVAULT_KEYFILE": nil])
        #expect(result.status == 31)
        #expect(result.stdout == """
            warning: \(sandbox.vault): no vault key given (TOKENVAULT_KEY, TOKENVAULT_KEYFILE or --keyfile): whether a key opens the vault, and which plaintext token files it already holds, was not checked
              fix: set TOKENVAULT_KEYFILE (or pass --keyfile) to the keyfile that opens the vault, and run 'tokenvault audit' again
            audit of \(sandbox.vault): 1 finding, 1 left to fix

            """)
    }

    @Test("a key that does not open the vault is a vault-key-wrong error naming the key id that sealed it")
    func wrongKey() throws {
        let sandbox = try Sandbox()
        let sealing = try #require(try String(contentsOfFile: sandbox.keyfile, encoding: .utf8).split(separator: "\n").first?.split(separator: " ").last).description
        let other = sandbox.directory.file("other.key")
        try sandbox.expectSuccess(["keygen", "--output", other])
        let result = try sandbox.run(["audit", "--json"], environment: ["TOKENVAULT_KEYFILE": other])
        #expect(result.status == 31)
        let finding = try #require(try findings(result).first { $0["check"] as? String == "vault-key-wrong" }, "\(result.stdout)")
        #expect(finding["severity"] as? String == "error")
        #expect((finding["problem"] as? String)?.contains("sealed with a different key (id \(sealing))") == true, "\(finding)")
        #expect((finding["fix"] as? String)?.hasPrefix("use the keyfile that holds key id \(sealing)") == true)
    }

    @Test("a keyfile without a key is a vault-key-missing error; a 0644 keyfile is only keyfile-mode, not reported twice")
    func unusableKey() throws {
        let sandbox = try Sandbox()
        let empty = sandbox.directory.file("empty.key")
        write(empty, "# nothing here\n")
        let result = try sandbox.run(["audit", "--json"], environment: ["TOKENVAULT_KEYFILE": empty])
        let missing = try #require(try findings(result).first { $0["check"] as? String == "vault-key-missing" }, "\(result.stdout)")
        #expect(missing["severity"] as? String == "error")
        #expect(missing["problem"] as? String == "the key given cannot be used: \(empty) holds no key")

        #expect(chmod(sandbox.keyfile, 0o644) == 0)
        let open = try sandbox.run(["audit", "--json"])
        #expect(try findings(open).compactMap { $0["check"] as? String } == ["keyfile-mode"])
    }
}
