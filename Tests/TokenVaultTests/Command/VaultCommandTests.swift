import Foundation
import Testing
@testable import TokenVault

@Suite("vault commands")
struct VaultCommandTests {
    @Test("keygen writes a 0600 keyfile and refuses to overwrite one")
    func keygen() throws {
        let sandbox = try Sandbox(initialised: false)
        #expect(sandbox.mode(of: sandbox.keyfile) == 0o600)
        let before = try String(contentsOfFile: sandbox.keyfile, encoding: .utf8)
        let again = try sandbox.run(["keygen", "--output", sandbox.keyfile])
        #expect(again.status == 16)
        #expect(again.stderr.contains("tokenvault: error: \(sandbox.keyfile) already exists"))
        #expect(try String(contentsOfFile: sandbox.keyfile, encoding: .utf8) == before)
    }

    @Test("init creates a 0700 folder, a 0600 vault and lock, and refuses to replace a vault")
    func initialise() throws {
        let sandbox = try Sandbox()
        #expect(sandbox.mode(of: sandbox.directory.file("vault")) == 0o700)
        #expect(sandbox.mode(of: sandbox.vault) == 0o600)
        #expect(sandbox.mode(of: sandbox.vault + ".lock") == 0o600)
        let again = try sandbox.run(["init"])
        #expect(again.status == 16)
        #expect(try sandbox.profileNames().isEmpty)
    }

    @Test("umask 000 still yields a 0600 vault, lock file, keyfile and 0700 folder")
    func umaskZero() throws {
        let sandbox = try Sandbox(initialised: false)
        let other = sandbox.directory.file("key2")
        let script = "umask 000; \"$0\" keygen --output \"$1\" && \"$0\" init && echo '{\"access_token\":\"\(secretMarker)-a\",\"expires_in\":60}' | \"$0\" import p --token-endpoint https://a.example/t --client-id c"
        let result = try runProcess("/bin/sh", ["-c", script, tokenvaultExecutable, other], environment: sandbox.environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(sandbox.mode(of: other) == 0o600)
        #expect(sandbox.mode(of: sandbox.vault) == 0o600)
        #expect(sandbox.mode(of: sandbox.vault + ".lock") == 0o600)
        #expect(sandbox.mode(of: sandbox.directory.file("vault")) == 0o700)
    }

    @Test("import takes MCP Inspector's Access Tokens JSON; status shows fingerprints, never tokens")
    func importInspectorJSON() throws {
        let sandbox = try Sandbox()
        let json = #"{"access_token":"\#(secretMarker)-at","token_type":"Bearer","expires_in":"3600","scope":"read","refresh_token":"\#(secretMarker)-rt"}"#
        let result = try sandbox.expectSuccess(
            ["import", "readonly", "--token-endpoint", "https://auth.example.com/token", "--client-id", "abc",
             "--resource", "https://mcp.example.com/mcp"], stdin: json)
        #expect(result.stderr.contains("imported profile 'readonly'"))
        let status = try sandbox.expectSuccess(["status"])
        #expect(status.stdout.contains("readonly"))
        #expect(status.stdout.contains("valid 1h00m") || status.stdout.contains("valid 59m"))
        let json2 = try sandbox.expectSuccess(["status", "--json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json2.stdout.utf8)) as! [String: Any]
        let profile = (decoded["profiles"] as! [[String: Any]])[0]
        let access = profile["access_token"] as! [String: Any]
        #expect(access["state"] as? String == "valid")
        #expect((access["fingerprint"] as? String)?.count == 8)
        #expect(profile["resource"] as? String == "https://mcp.example.com/mcp")
        #expect(profile["client_id"] as? String == "abc")
        #expect(decoded["schema"] as? Int == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: sandbox.vault)).range(of: Data(secretMarker.utf8)) == nil)
    }

    @Test("on a terminal, import prompts for the tokens with echo off")
    func terminalPrompt() throws {
        let sandbox = try Sandbox()
        // script(1) gives the command a real pseudo-terminal; whatever the terminal echoes shows up in its output.
        let command = "\(tokenvaultExecutable) import typed --token-endpoint https://a.example.com/t --client-id c"
        let input = "sleep 1; printf '\(secretMarker)-typed-access\\n\(secretMarker)-typed-refresh\\n600\\n'"
        let result = try runProcess("/bin/sh", ["-c", "(\(input)) | script -qec \"$0\" /dev/null", command], environment: sandbox.environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("access_token: "))
        #expect(result.stdout.contains("imported profile 'typed'"))
        #expect(!result.output.contains(secretMarker), "a typed token was echoed")
        let status = try sandbox.expectSuccess(["status", "typed", "--json"])
        #expect(status.stdout.contains(Secret(copying: "\(secretMarker)-typed-access").fingerprint))
        let profile = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any])["profiles"] as! [[String: Any]]
        let expiresIn = (profile[0]["access_token"] as! [String: Any])["expires_in"] as? Int ?? 0
        #expect((590...600).contains(expiresIn))
    }

    @Test("import --from reads an old plaintext file and --remove-plaintext deletes it only after the vault is written")
    func importLegacyFile() throws {
        let sandbox = try Sandbox()
        let legacy = sandbox.directory.file(".mcp_tokens_admin.json")
        let content = #"{"access_token":"\#(secretMarker)-old-at","refresh_token":"\#(secretMarker)-old-rt","expires_at":"2099-01-01T00:00:00Z","created_at":1700000000.5}"#
        _ = FileManager.default.createFile(atPath: legacy, contents: Data(content.utf8), attributes: [.posixPermissions: 0o644])
        let result = try sandbox.expectSuccess(
            ["import", "admin", "--token-endpoint", "https://auth.example.com/token", "--client-id", "abc",
             "--from", legacy, "--remove-plaintext"])
        #expect(result.stderr.contains("had mode 644"))
        #expect(!FileManager.default.fileExists(atPath: legacy))
        let status = try sandbox.expectSuccess(["status", "admin", "--json"])
        #expect(status.stdout.contains(#""expires_at":4070908800"#))
        #expect(status.stdout.contains(#""issued_at":1700000000"#))
    }

    @Test("--remove-plaintext keeps the file when the import fails")
    func failedImportKeepsPlaintext() throws {
        let sandbox = try Sandbox(initialised: false)
        let legacy = sandbox.directory.file(".mcp_tokens_readonly.json")
        _ = FileManager.default.createFile(atPath: legacy, contents: Data(#"{"access_token":"\#(secretMarker)-x"}"#.utf8))
        let result = try sandbox.run(["import", "p", "--token-endpoint", "https://a.example/t", "--client-id", "c", "--from", legacy, "--remove-plaintext"])
        #expect(result.status == 15)
        #expect(FileManager.default.fileExists(atPath: legacy))
    }

    @Test("import refuses plain http to a remote token endpoint and secrets on the command line have no option")
    func importValidation() throws {
        let sandbox = try Sandbox()
        let remote = try sandbox.run(["import", "p", "--token-endpoint", "http://auth.example.com/token", "--client-id", "c"], stdin: "{}")
        #expect(remote.status == 64)
        #expect(remote.stderr.contains("not https"))
        let secretFlag = try sandbox.run(["import", "p", "--token-endpoint", "https://a.example/t", "--client-id", "c", "--client-secret", "x"], stdin: "{}")
        #expect(secretFlag.status == 64)
        let badJSON = try sandbox.run(["import", "p", "--token-endpoint", "https://a.example/t", "--client-id", "c"], stdin: "{\"access_token\": ")
        #expect(badJSON.status == 19)
        #expect(badJSON.stderr.contains("not valid JSON"))
    }

    @Test("a missing vault and a missing profile report 'OAuth token unavailable' with exit 15")
    func missing() throws {
        let sandbox = try Sandbox(initialised: false)
        let noVault = try sandbox.run(["status"])
        #expect(noVault.status == 15)
        #expect(noVault.stderr.contains("OAuth token unavailable: no vault at \(sandbox.vault)"))
        #expect(noVault.stderr.contains("tokenvault: hint: create it with 'tokenvault init'"))
        try sandbox.expectSuccess(["init"])
        let noProfile = try sandbox.run(["remove", "ghost"])
        #expect(noProfile.status == 15)
        #expect(noProfile.stderr.contains("no profile 'ghost'"))
    }

    @Test("remove deletes one profile and keeps the others")
    func remove() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        try sandbox.importProfile("admin")
        try sandbox.expectSuccess(["remove", "admin"])
        #expect(try sandbox.profileNames() == ["readonly"])
    }
}

@Suite("file safety")
struct FileSafetyTests {
    @Test("a 0644 vault is refused with its path, mode and the chmod that fixes it")
    func groupReadableVault() throws {
        let sandbox = try Sandbox()
        chmod(sandbox.vault, 0o644)
        let result = try sandbox.run(["list"])
        #expect(result.status == 14)
        #expect(result.stderr.contains("tokenvault: error: \(sandbox.vault) has mode 0644"))
        #expect(result.stderr.contains("tokenvault: hint: chmod 600 \(sandbox.vault)"))
    }

    @Test("a vault reached through a symbolic link is refused")
    func symlinkedVault() throws {
        let sandbox = try Sandbox()
        let link = sandbox.directory.file("vault/link.vault")
        symlink(sandbox.vault, link)
        let result = try sandbox.run(["list"], environment: ["TOKENVAULT_PATH": link])
        #expect(result.status == 14)
        #expect(result.stderr.contains("is a symbolic link"))
    }

    @Test("a 0644 keyfile is refused")
    func groupReadableKeyfile() throws {
        let sandbox = try Sandbox()
        chmod(sandbox.keyfile, 0o644)
        let result = try sandbox.run(["list"])
        #expect(result.status == 14)
        #expect(result.stderr.contains("\(sandbox.keyfile) has mode 0644"))
    }

    @Test("a vault or keyfile owned by another user is refused")
    func foreignOwner() throws {
        guard geteuid() == 0 else { return }
        let sandbox = try Sandbox()
        chown(sandbox.keyfile, 65534, 65534)
        let keyResult = try sandbox.run(["list"])
        #expect(keyResult.status == 14)
        #expect(keyResult.stderr.contains("belongs to user 'nobody' (uid 65534)"))
        chown(sandbox.keyfile, 0, 0)
        chown(sandbox.vault, 65534, 65534)
        let vaultResult = try sandbox.run(["list"])
        #expect(vaultResult.status == 14)
    }

    @Test("wrong key, tampering, truncation and a future version each have their own exit code")
    func distinctFailures() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let original = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        func write(_ data: Data) throws {
            try data.write(to: URL(fileURLWithPath: sandbox.vault))
            chmod(sandbox.vault, 0o600)
        }

        let otherKey = sandbox.directory.file("other-key")
        try sandbox.expectSuccess(["keygen", "--output", otherKey])
        let wrong = try sandbox.run(["list"], environment: ["TOKENVAULT_KEYFILE": otherKey])
        #expect(wrong.status == 11)
        #expect(wrong.stderr.contains("was sealed with a different key (id "))

        var tampered = original
        tampered[tampered.count - 10] ^= 0x20
        try write(tampered)
        let tamperResult = try sandbox.run(["list"])
        #expect(tamperResult.status == 12)
        #expect(tamperResult.stderr.contains("corrupted or was tampered with"))

        try write(original.prefix(original.count - 100))
        let truncated = try sandbox.run(["list"])
        #expect(truncated.status == 12)

        var future = original
        future[10] = 9
        try write(future)
        let futureResult = try sandbox.run(["list"])
        #expect(futureResult.status == 13)

        try write(original)
        #expect(try sandbox.profileNames() == ["p"])
    }

    @Test("TOKENVAULT_KEY works, comes before TOKENVAULT_KEYFILE, and the shadowed keyfile is named in a warning")
    func keyFromEnvironment() throws {
        let sandbox = try Sandbox()
        let keyText = try String(contentsOfFile: sandbox.keyfile, encoding: .utf8)
            .split(separator: "\n").first { !$0.hasPrefix("#") }!
        let result = try sandbox.run(["list"], environment: ["TOKENVAULT_KEY": String(keyText), "TOKENVAULT_KEYFILE": "/nonexistent"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: warning: TOKENVAULT_KEYFILE ignored: TOKENVAULT_KEY comes first"))
        #expect(!result.output.contains(String(keyText.dropFirst(18))))
        let none = try sandbox.run(["list"], environment: ["TOKENVAULT_KEYFILE": nil])
        #expect(none.status == 10)
    }

    @Test("a vault sealed with the second key of a keyfile opens, and the next write re-seals it with the first")
    func twoKeyKeyfile() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let newKey = sandbox.directory.file("new-key")
        try sandbox.expectSuccess(["keygen", "--output", newKey])
        let both = try sandbox.twoKeyKeyfile("both-keys", first: newKey)
        let status = try sandbox.expectSuccess(["status"], environment: ["TOKENVAULT_KEYFILE": both])
        #expect(status.stdout.contains("an older key"))
        try sandbox.importProfile("q")  // written with the old keyfile: still the old key
        try sandbox.expectSuccess(["remove", "q"], environment: ["TOKENVAULT_KEYFILE": both])
        let onlyNew = try sandbox.run(["list"], environment: ["TOKENVAULT_KEYFILE": newKey])
        #expect(onlyNew.status == 0)
        #expect(onlyNew.stdout == "p\n")
        let onlyOld = try sandbox.run(["list"])
        #expect(onlyOld.status == 11)
    }
}
