import Foundation
import Testing

/// What `rotate-key` prints: its own result lines in the command's voice, no log line unless
/// TOKENVAULT_LOG_LEVEL asks for one, and the truth when the key is the same.
@Suite("rotate-key output")
struct RotateKeyOutputTests {
    private func keyID(_ path: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try #require(text.split(separator: "\n").first?.split(separator: " ").last).description
    }

    @Test("a rotation to a new key prints two result lines on stderr and nothing else, even at TOKENVAULT_LOG_LEVEL=notice",
          arguments: [nil, "notice"] as [String?])
    func newKey(_ level: String?) throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let old = try keyID(sandbox.keyfile)
        let newKey = sandbox.directory.file("new.key")
        try sandbox.expectSuccess(["keygen", "--output", newKey])
        let new = try keyID(newKey)
        let result = try sandbox.expectSuccess(["rotate-key", "--new-keyfile", newKey], environment: ["TOKENVAULT_LOG_LEVEL": level])
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == """
            tokenvault: re-sealed \(sandbox.vault): key id \(old) → \(new); the old key no longer opens it
            tokenvault: next: make \(newKey)'s key the only one in every keyfile that opens this vault

            """)
    }

    @Test("a rotation to the key that already sealed the vault says so, and never calls it a new key")
    func sameKey() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let id = try keyID(sandbox.keyfile)
        let result = try sandbox.expectSuccess(["rotate-key", "--new-keyfile", sandbox.keyfile])
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "tokenvault: re-sealed \(sandbox.vault) under key id \(id) (it was already sealed with it)\n")
        let logged = try sandbox.expectSuccess(["rotate-key", "--new-keyfile", sandbox.keyfile], environment: ["TOKENVAULT_LOG_LEVEL": "info"])
        #expect(logged.stderr.contains(" info tokenvault: "), "\(logged.stderr)")
        #expect(logged.stderr.contains("re-sealed the vault under the same key"), "\(logged.stderr)")
        #expect(!logged.stderr.contains("new key"))
    }
}
