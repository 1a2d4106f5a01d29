import Foundation
import Testing
@testable import TokenVault

/// `--json` on the commands that report: one JSON document on stdout with `schema` 1, the
/// members README documents, and never a token or a key.
@Suite("JSON reports")
struct JSONReportTests {
    private func document(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        #expect(result.stdout.hasSuffix("}\n") && result.stdout.filter { $0 == "\n" }.count == 1,
                "not one JSON line: \(result.stdout)", sourceLocation: sourceLocation)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
        #expect(object["schema"] as? Int == 1, sourceLocation: sourceLocation)
        #expect(!result.stdout.contains("tokenvault-key-v1:"), "a key in JSON", sourceLocation: sourceLocation)
        return object
    }

    @Test("list --json gives the profile names, sorted, and an empty vault an empty array")
    func list() throws {
        let sandbox = try Sandbox()
        let empty = try document(try sandbox.expectSuccess(["list", "--json"]))
        #expect(empty["profiles"] as? [String] == [])
        try sandbox.importProfile("zeta")
        try sandbox.importProfile("alpha")
        let listed = try document(try sandbox.expectSuccess(["list", "--json"]))
        #expect(listed["profiles"] as? [String] == ["alpha", "zeta"])
        #expect(listed["vault"] as? String == sandbox.vault)
    }

    @Test("import --json says what was imported: the refresh token's fingerprint, expiry and binding, never a token")
    func importReport() throws {
        let sandbox = try Sandbox()
        let json = #"{"access_token":"\#(secretMarker)-a","expires_in":3600,"refresh_token":"\#(secretMarker)-r"}"#
        let arguments = ["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c",
                         "--resource", "https://mcp.example.com/mcp", "--json"]
        let first = try sandbox.expectSuccess(arguments, stdin: json)
        let report = try document(first)
        #expect(report["profile"] as? String == "p")
        #expect(report["replaced"] as? Bool == false)
        #expect(report["refresh_token_fingerprint"] as? String == Secret(copying: "\(secretMarker)-r").fingerprint)
        #expect(report["token_endpoint"] as? String == "https://auth.example.com/token")
        #expect(report["resource"] as? String == "https://mcp.example.com/mcp")
        #expect(report["discovered"] as? Bool == false)
        #expect(report["plaintext_removed"] as? Bool == false)
        let expiresAt = try #require(report["access_token_expires_at"] as? Int)
        #expect(abs(expiresAt - Int(time(nil)) - 3600) < 60)
        // The notes for people stay on stderr.
        #expect(first.stderr.contains("tokenvault: imported profile 'p'"))

        let again = try document(try sandbox.expectSuccess(arguments, stdin: json.replacingOccurrences(of: "-r\"", with: "-r2\"")))
        #expect(again["replaced"] as? Bool == true)
    }

    @Test("import --from --remove-plaintext --json reports the plaintext file removed")
    func importFromFileReport() throws {
        let sandbox = try Sandbox()
        let file = sandbox.directory.file(".mcp_tokens_admin.json")
        try #"{"access_token":"\#(secretMarker)-a","refresh_token":"\#(secretMarker)-r","expires_at":"2030-01-01T00:00:00Z"}"#
            .write(toFile: file, atomically: false, encoding: .utf8)
        chmod(file, 0o600)
        let report = try document(try sandbox.expectSuccess(
            ["import", "admin", "--from", file, "--remove-plaintext", "--token-endpoint", "https://auth.example.com/token",
             "--client-id", "c", "--json"]))
        #expect(report["plaintext_removed"] as? Bool == true)
        #expect(report["access_token_expires_at"] as? Int == 1_893_456_000)
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test("a failing import prints no JSON, only the error on stderr")
    func failedImportPrintsNoJSON() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.run(["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c", "--json"],
                                     stdin: "not json")
        #expect(result.status == 19)
        #expect(result.stdout.isEmpty)
    }

    @Test("rotate-key --json gives the previous and the new key id, as status shows them")
    func rotateKey() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let before = try document(try sandbox.expectSuccess(["status", "--json"]))["sealed_with_key_id"] as? String
        let newKeyfile = sandbox.directory.file("new.key")
        try sandbox.expectSuccess(["keygen", "--output", newKeyfile])
        let report = try document(try sandbox.expectSuccess(["rotate-key", "--new-keyfile", newKeyfile, "--json"]))
        let after = try document(try sandbox.expectSuccess(["status", "--json"], environment: ["TOKENVAULT_KEYFILE": newKeyfile]))
        #expect(report["previous_key_id"] as? String == before)
        #expect(report["key_id"] as? String == after["sealed_with_key_id"] as? String)
        #expect(report["key_id"] as? String != before)
        #expect(report["changed"] as? Bool == true)
        #expect(report["vault"] as? String == sandbox.vault)
    }
}
