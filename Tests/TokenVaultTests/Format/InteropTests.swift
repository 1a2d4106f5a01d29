import Foundation
import Testing
@testable import TokenVault

/// Runs the independent reader of the vault format, Tests/Interop/open_vault.py (PyNaCl, written
/// from SECURITY.md alone), against what tokenvault writes and against the checked-in vectors.
/// Its interpreter is the venv `scripts/oauth-venv` builds; `scripts/test` passes it in
/// TOKENVAULT_TEST_PYTHON.
enum InteropReader {
    static let repository = sourceTree
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

    /// What the reader makes of a vault (`--members`): the header's generation and key id and
    /// every profile's members as read, in the form of vectors.json.
    struct Members: Decodable {
        let generation: UInt64
        let keyID: String
        let profiles: [String: [String: ExpectedValue]]

        enum CodingKeys: String, CodingKey {
            case generation, profiles
            case keyID = "key_id"
        }
    }

    static func members(_ vault: String, keyfile: String) throws -> (RunResult, Members?) {
        let result = try runProcess(
            try python(), [script, "--members", "--keyfile", keyfile, vault], environment: ["PATH": "/usr/bin:/bin"]
        )
        guard result.status == 0 else { return (result, nil) }
        return (result, try JSONDecoder().decode(Members.self, from: Data(result.stdout.utf8)))
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
        // Import refuses tokens that are not visible ASCII; an app linking the library can still
        // store any bytes, and the format must carry them exactly.
        let store = VaultStore(location: VaultLocation(path: .init(sandbox.vault)), keys: try KeyRing.load(keyfile: .init(sandbox.keyfile)))
        try store.importProfile("admin", TokenProfile(
            accessToken: Secret(copying: tricky), refreshToken: Secret(copying: refresh), expiresAt: WallClock.now + 3600,
            importedAt: WallClock.now, binding: RefreshBinding(tokenEndpoint: "https://auth.example.com/token", clientID: "client-admin")
        ))

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

    @Test("the PyNaCl reader gives each checked-in vector its expected outcome and reads every member alike",
          arguments: try VaultVectors.load())
    func readsVector(_ vector: VaultVector) throws {
        let (result, read) = try InteropReader.members(vector.bundledVault, keyfile: vector.bundledKeyfile)
        let expect = vector.expect
        guard expect.outcome == "ok" else {
            #expect(result.status == 2, "\(vector.name): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("open_vault: error: \(expect.outcome): "), "\(vector.name): \(result.stderr)")
            return
        }
        let members = try #require(read, "\(vector.name): \(result.stderr)")
        #expect(members.generation == expect.generation)
        #expect(members.keyID == expect.keyID)
        #expect(members.profiles == expect.profiles, "\(vector.name)")
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
