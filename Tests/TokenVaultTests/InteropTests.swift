import Foundation
import Testing
@testable import TokenVault

/// Runs the independent reader of the vault format, Tests/Interop/open_vault.py (PyNaCl, written
/// from SECURITY.md alone), against what tokenvault writes and against the checked-in vectors.
/// Its interpreter is the venv `scripts/oauth-venv` builds; `scripts/test` passes it in
/// TOKENVAULT_TEST_PYTHON.
enum InteropReader {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = repository.appendingPathComponent("Tests/Interop/open_vault.py").path
    static let generator = repository.appendingPathComponent("Tests/Interop/make_vectors.py").path

    /// Fails the test (never skips it) when the suite was not started by scripts/test.
    static func python() throws -> String {
        try #require(
            ProcessInfo.processInfo.environment["TOKENVAULT_TEST_PYTHON"],
            "run the suite with scripts/test, which sets TOKENVAULT_TEST_PYTHON"
        )
    }

    static func open(_ vault: String, keyfile: String) throws -> RunResult {
        try runProcess(try python(), [script, "--keyfile", keyfile, vault], environment: ["PATH": "/usr/bin:/bin"])
    }

    /// Parses the payload JSON the reader prints.
    static func payload(_ result: RunResult) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "the reader printed no JSON object")
    }

    static func profiles(_ payload: [String: Any]) throws -> [String: [String: Any]] {
        try #require(payload["profiles"] as? [String: [String: Any]], "the payload has no profiles object")
    }

    /// Whether a JSON value the reader printed is the expected one; `<member>_fingerprint` names
    /// are checked against the fingerprint of the member's string (empty or null = absent).
    static func member(_ name: String, in profile: [String: Any], is expected: ExpectedValue) -> Bool {
        if name.hasSuffix("_fingerprint") {
            let token = profile[String(name.dropLast("_fingerprint".count))] as? String
            let fingerprint = token.flatMap { $0.isEmpty ? nil : Secret(copying: $0).fingerprint }
            return ExpectedValue(fingerprint) == expected
        }
        let value = profile[name]
        switch expected {
        case .null: return value == nil || value is NSNull
        case .bool(let flag): return (value as? Bool) == flag
        case .integer(let number): return !(value is String) && (value as? NSNumber)?.int64Value == number
        case .string(let text): return (value as? String) == text
        }
    }
}

@Suite("independent PyNaCl reader")
struct InteropTests {
    @Test("the PyNaCl reader opens what tokenvault writes: same profiles, same token bytes, writer's JSON form")
    func readsWhatTokenvaultWrites() throws {
        let python = try InteropReader.python()
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        let tricky = "\(secretMarker)-access-admin-\"quoted\"-back\\slash-\u{e9}-\u{65e5}\u{672c}-\u{1F600}"
        let refresh = "\(secretMarker)-refresh-admin-\u{fc}"
        let input = try JSONSerialization.data(withJSONObject: [
            "access_token": tricky, "refresh_token": refresh, "token_type": "Bearer", "expires_in": 3600,
        ])
        try sandbox.expectSuccess(
            ["import", "admin", "--token-endpoint", "https://auth.example.com/token", "--client-id", "client-admin"],
            stdin: String(decoding: input, as: UTF8.self)
        )

        let result = try runProcess(
            python, [InteropReader.script, "--keyfile", sandbox.keyfile, sandbox.vault], environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(result.status == 0, "open_vault.py failed: \(result.stderr)")
        let payload = try InteropReader.payload(result)
        #expect(payload["version"] as? Int == 1)
        let profiles = try InteropReader.profiles(payload)
        #expect(profiles.keys.sorted() == ["admin", "readonly"])
        #expect(profiles["admin"]?["access_token"] as? String == tricky)
        #expect(profiles["admin"]?["refresh_token"] as? String == refresh)
        #expect(profiles["admin"]?["client_id"] as? String == "client-admin")
        #expect(profiles["admin"]?["token_endpoint"] as? String == "https://auth.example.com/token")
        #expect(profiles["readonly"]?["access_token"] as? String == "\(secretMarker)-access-readonly")
        #expect(profiles["readonly"]?["refresh_token"] as? String == "\(secretMarker)-refresh-readonly")
        #expect(profiles["readonly"]?["client_id"] as? String == "client-readonly")
        // SECURITY.md, "Payload": no whitespace, profiles sorted by name, members in order, and only
        // `"`, `\` and control characters escaped (non-ASCII bytes are copied as they are).
        #expect(result.stdout.hasPrefix(#"{"version":1,"profiles":{"admin":{"access_token":"#))
        #expect(result.stdout.contains(#""access_token":"tvsecret-access-admin-\"quoted\"-back\\slash-é-日本-😀","#))
    }

    @Test("the PyNaCl reader refuses a tokenvault vault under another key: exit 2, wrong-key, the vault's key id")
    func refusesWrongKey() throws {
        let python = try InteropReader.python()
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        let other = sandbox.directory.file("other.key")
        try sandbox.expectSuccess(["keygen", "--output", other])
        let status = try sandbox.expectSuccess(["status", "--json"])
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let keyID = try #require(decoded["sealed_with_key_id"] as? String)

        let result = try runProcess(
            python, [InteropReader.script, "--keyfile", other, sandbox.vault], environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("open_vault: error: wrong-key: "), "\(result.stderr)")
        #expect(result.stderr.contains(keyID))
        #expect(!result.output.contains(secretMarker))
    }

    @Test("the PyNaCl reader gives each checked-in vector its expected outcome", arguments: try VaultVectors.load())
    func readsVector(_ vector: VaultVector) throws {
        let result = try InteropReader.open(vector.bundledVault, keyfile: vector.bundledKeyfile)
        let expect = vector.expect
        guard expect.outcome == "ok" else {
            #expect(result.status == 2, "\(vector.name): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("open_vault: error: \(expect.outcome): "), "\(vector.name): \(result.stderr)")
            return
        }
        #expect(result.status == 0, "\(vector.name): \(result.stderr)")
        let profiles = try InteropReader.profiles(try InteropReader.payload(result))
        let expected = try #require(expect.profiles)
        #expect(profiles.keys.sorted() == expected.keys.sorted())
        for (name, members) in expected {
            guard let opened = profiles[name] else { continue }
            for (member, value) in members {
                #expect(
                    InteropReader.member(member, in: opened, is: value),
                    "\(vector.name): profile '\(name)', \(member): expected \(value), got \(String(describing: opened[member]))"
                )
            }
        }
    }

    @Test("the checked-in vectors are byte for byte what Tests/Interop/make_vectors.py writes")
    func vectorsAreRegenerable() throws {
        let result = try runProcess(
            try InteropReader.python(), [InteropReader.generator, "--check", "--output", VaultVectors.folder.path],
            environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(result.status == 0, "regenerate with make_vectors.py: \(result.stderr)")
    }
}
