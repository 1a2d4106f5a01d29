import Foundation
import SystemPackage
import Testing
@testable import TokenVault

// A stale copy of a token chain (the old plaintext file imported again after tokenvault refreshed,
// the same MCP Inspector output pasted twice, a vault backup restored over a newer vault) holds a
// refresh token that is already spent: presenting it gets invalid_grant, and a strict server
// revokes the whole chain. Import refuses such input unless forced; status flags what it cannot
// refuse.

private let oldAccess = "\(secretMarker)-stale-old-access"
private let oldRefresh = "\(secretMarker)-stale-old-refresh"

/// A token response that rotates to the `index`-th generation of the chain.
private func rotation(_ index: Int) -> FaultServer.Behavior {
    FaultServer.json(200, #"{"access_token":"\#(secretMarker)-access-\#(index)","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(secretMarker)-refresh-\#(index)"}"#)
}

/// MCP Inspector's shape: no issue time, an already expired access token.
private let inspectorJSON = #"{"access_token":"\#(oldAccess)","refresh_token":"\#(oldRefresh)","expires_in":-10,"token_type":"Bearer"}"#

private func writePlaintextFile(_ sandbox: Sandbox, createdAt: Int, refresh: String = oldRefresh) -> String {
    let path = sandbox.directory.file("mcp_tokens_readonly.json")
    let json = #"{"access_token":"\#(oldAccess)","refresh_token":"\#(refresh)","expires_at":\#(createdAt + 60),"created_at":\#(createdAt)}"#
    _ = FileManager.default.createFile(atPath: path, contents: Data(json.utf8), attributes: [.posixPermissions: 0o600])
    return path
}

private func profileJSON(_ sandbox: Sandbox, _ name: String) throws -> (vault: [String: Any], profile: [String: Any]) {
    let result = try sandbox.expectSuccess(["status", "--json"])
    let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let profiles = try #require(document["profiles"] as? [[String: Any]])
    return (document, try #require(profiles.first { $0["name"] as? String == name }))
}

private func refreshFingerprint(_ profile: [String: Any]) -> String? {
    (profile["refresh_token"] as? [String: Any])?["fingerprint"] as? String
}

private func possiblySpentReason(_ profile: [String: Any]) -> String? {
    (profile["refresh_token"] as? [String: Any])?["possibly_spent_reason"] as? String
}

/// Replaces the vault with `bytes` the way a restore from backup does: a new file renamed in.
private func restore(_ sandbox: Sandbox, _ bytes: Data) throws {
    let staging = sandbox.vault + ".restore"
    _ = FileManager.default.createFile(atPath: staging, contents: bytes, attributes: [.posixPermissions: 0o600])
    #expect(rename(staging, sandbox.vault) == 0)
}

@Suite("stale imports and restored vaults")
struct StaleImportTests {
    @Test("the old plaintext file imported again after a refresh is refused with exit 25, and --force imports it flagged as possibly spent")
    func reimportedPlaintextFile() throws {
        let server = try FaultServer([rotation(1)])
        let sandbox = try Sandbox()
        let file = writePlaintextFile(sandbox, createdAt: Int(time(nil)) - 600)
        let importLine = ["import", "readonly", "--token-endpoint", server.tokenURL, "--client-id", "c", "--from", file]
        try sandbox.expectSuccess(importLine)
        try sandbox.expectSuccess(["token", "readonly"], secretOnStdout: true)
        let refreshed = try refreshFingerprint(profileJSON(sandbox, "readonly").profile)
        #expect(refreshed == Secret(copying: "\(secretMarker)-refresh-1").fingerprint)

        let again = try sandbox.run(importLine)
        #expect(again.status == 25, "\(again.stderr)")
        #expect(again.stderr.contains("tokenvault: error: refusing to import a stale refresh token into 'readonly'"), "\(again.stderr)")
        #expect(again.stderr.contains("tokenvault: hint:") && again.stderr.contains("--force"), "\(again.stderr)")
        #expect(try refreshFingerprint(profileJSON(sandbox, "readonly").profile) == refreshed, "the refused import changed the vault")

        try sandbox.expectSuccess(importLine + ["--force"])
        let (_, forced) = try profileJSON(sandbox, "readonly")
        #expect(forced["state"] as? String == "possibly-spent")
        #expect(possiblySpentReason(forced) == "spent_token_held")
        let check = try sandbox.run(["status", "--check"])
        #expect(check.status == 30, "\(check.stdout)")
        #expect(check.stdout.contains("check: readonly: refresh token may be spent"), "\(check.stdout)")
    }

    @Test("the same MCP Inspector output pasted again is refused even after more rotations than the history keeps")
    func inspectorOutputPastedAgain() throws {
        let rotations = TokenProfile.spentHistoryLimit + 2
        let server = try FaultServer((1...rotations).map(rotation))
        let sandbox = try Sandbox()
        let importLine = ["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"]
        try sandbox.expectSuccess(importLine, stdin: inspectorJSON)
        for _ in 1...rotations { try sandbox.expectSuccess(["refresh", "p", "--force"]) }
        #expect(server.requests.count == rotations)

        let again = try sandbox.run(importLine, stdin: inspectorJSON)
        #expect(again.status == 25, "\(again.stderr)")
        #expect(again.stderr.contains("already rotated away from it"), "\(again.stderr)")

        // Every token of the chain but the current one is refused the same way.
        let middle = #"{"access_token":"\#(oldAccess)","refresh_token":"\#(secretMarker)-refresh-\#(rotations - 1)"}"#
        #expect(try sandbox.run(importLine, stdin: middle).status == 25)
        // The current one is the chain as it is: importing it again (to change settings) works.
        let current = #"{"access_token":"\#(oldAccess)","refresh_token":"\#(secretMarker)-refresh-\#(rotations)"}"#
        try sandbox.expectSuccess(importLine, stdin: current)
    }

    @Test("input created before the profile's current refresh token is refused as an older copy")
    func olderThanVault() throws {
        let sandbox = try Sandbox()
        let importLine = ["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"]
        try sandbox.expectSuccess(importLine, stdin: inspectorJSON)
        let file = writePlaintextFile(sandbox, createdAt: Int(time(nil)) - 86_400, refresh: "\(secretMarker)-other-chain")

        let older = try sandbox.run(importLine + ["--from", file])
        #expect(older.status == 25, "\(older.stderr)")
        #expect(older.stderr.contains("before the refresh token the profile holds"), "\(older.stderr)")
        try sandbox.expectSuccess(importLine + ["--from", file, "--force"])
        // A new sign-in without an issue time replaces the chain; the replaced token is then stale.
        try sandbox.expectSuccess(importLine, stdin: #"{"access_token":"a","refresh_token":"\#(secretMarker)-new-sign-in"}"#)
        #expect(try sandbox.run(importLine + ["--from", file, "--force"]).status == 0)
        #expect(try sandbox.run(importLine, stdin: #"{"access_token":"a","refresh_token":"\#(secretMarker)-new-sign-in"}"#).status == 25)
    }

    @Test("a vault restored over a newer one is flagged by status and --check, recorded by the next write, and cleared by a successful refresh")
    func restoredVault() throws {
        let server = try FaultServer([rotation(1), rotation(2)])
        let sandbox = try Sandbox()
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: inspectorJSON)
        let backup = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        try sandbox.expectSuccess(["token", "p"], secretOnStdout: true)
        let (before, healthy) = try profileJSON(sandbox, "p")
        #expect(before["restored"] as? Bool == false)
        #expect(healthy["state"] as? String == "ok")
        let written = try #require(before["highest_generation_written"] as? Int)
        #expect(written == before["generation"] as? Int)

        try restore(sandbox, backup)
        let (vault, restored) = try profileJSON(sandbox, "p")
        #expect(vault["restored"] as? Bool == true)
        #expect(vault["highest_generation_written"] as? Int == written)
        #expect(restored["state"] as? String == "possibly-spent")
        #expect(possiblySpentReason(restored) == "vault_restored")
        let table = try sandbox.expectSuccess(["status"])
        #expect(table.stdout.contains("the vault was restored from an older copy"), "\(table.stdout)")
        let check = try sandbox.run(["status", "--check", "--json"])
        #expect(check.status == 30)
        #expect(check.stdout.contains(#""problem":"possibly_spent""#), "\(check.stdout)")

        // The next write (any write) notices, says so, and records it in the profile, so the flag
        // outlives the generation record moving on.
        let write = try sandbox.run(["import", "q", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"],
                                    stdin: #"{"access_token":"a","refresh_token":"\#(secretMarker)-q"}"#)
        #expect(write.status == 0)
        #expect(write.stderr.contains("tokenvault: warning: the vault is at an older generation than this host last wrote"), "\(write.stderr)")
        let (after, recorded) = try profileJSON(sandbox, "p")
        #expect(after["restored"] as? Bool == false)
        #expect(possiblySpentReason(recorded) == "restore_recorded")
        #expect(recorded["rolled_back_at"] as? Int != nil)
        #expect(try possiblySpentReason(profileJSON(sandbox, "q").profile) == nil)

        // The token in the backup had not been spent by this server (it answers anything): a
        // successful refresh proves the chain and clears the flag.
        try sandbox.expectSuccess(["refresh", "p", "--force"])
        let (_, cleared) = try profileJSON(sandbox, "p")
        #expect(cleared["state"] as? String == "ok")
        #expect(possiblySpentReason(cleared) == nil)
    }

    @Test("the stale plaintext file that matches a restored vault is imported without clearing the possibly-spent flag")
    func reimportAfterRestoreKeepsFlag() throws {
        let server = try FaultServer([rotation(1)])
        let sandbox = try Sandbox()
        let file = writePlaintextFile(sandbox, createdAt: Int(time(nil)) - 600)
        let importLine = ["import", "p", "--token-endpoint", server.tokenURL, "--client-id", "c", "--from", file]
        try sandbox.expectSuccess(importLine)
        let backup = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        try sandbox.expectSuccess(["refresh", "p", "--force"])
        try restore(sandbox, backup)
        #expect(try possiblySpentReason(profileJSON(sandbox, "p").profile) == "vault_restored")

        // The file holds the very refresh token the restored profile holds: not refused, and not
        // a reason to believe that token is unspent.
        try sandbox.expectSuccess(importLine)
        let (_, reimported) = try profileJSON(sandbox, "p")
        #expect(refreshFingerprint(reimported) == Secret(copying: oldRefresh).fingerprint)
        #expect(reimported["state"] as? String == "possibly-spent", "\(reimported)")
        #expect(possiblySpentReason(reimported) == "restore_recorded")
        #expect(reimported["rolled_back_at"] as? Int != nil)
        let check = try sandbox.run(["status", "--check"])
        #expect(check.status == 30, "\(check.stdout)")
        #expect(check.stdout.contains("check: p: refresh token may be spent"), "\(check.stdout)")
    }

    @Test("a refresh token another profile rotated away from is refused with a hint naming that profile")
    func spentByAnotherProfileHint() throws {
        let sandbox = try Sandbox()
        func importLine(_ name: String) -> [String] { ["import", name, "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"] }
        try sandbox.expectSuccess(importLine("s1"), stdin: inspectorJSON)
        try sandbox.expectSuccess(importLine("s1"), stdin: #"{"access_token":"a","refresh_token":"\#(secretMarker)-s1-new"}"#)
        let result = try sandbox.run(importLine("s2"), stdin: inspectorJSON)
        #expect(result.status == 25, "\(result.stderr)")
        #expect(result.stderr.contains("profile 's1' has already rotated away from it"), "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: hint: the vault's own tokens for 's1' are newer: check 'tokenvault status s1'"), "\(result.stderr)")
        #expect(!result.stderr.contains("status s2"), "\(result.stderr)")
    }

    @Test("an import of the refresh token a profile holds keeps what is known about it; another token starts afresh")
    func sameTokenKeepsState() throws {
        let directory = TemporaryDirectory()
        let store = VaultStore(location: VaultLocation(path: FilePath(directory.file("tokens.vault"))), keys: KeyRing(keys: [VaultKey.generate()]))
        try store.create()
        let binding = RefreshBinding(tokenEndpoint: "https://auth.example.com/token", clientID: "c")
        var tokens = ImportedTokens()
        tokens.refreshToken = Secret(copying: "\(secretMarker)-held")
        try store.importProfile("a", TokenProfile(imported: tokens, binding: binding, now: 1_000))
        try store.update { profiles, _ in
            profiles["a"]!.refreshState.rolledBackAt = 1_100
            profiles["a"]!.refreshState.ambiguousSpendAt = 1_200
            profiles["a"]!.refreshState.reauthenticationRequired = true
        }
        let again = try store.importProfile("a", TokenProfile(imported: tokens, binding: binding, now: 2_000))
        #expect(again.profile.refreshState.rolledBackAt == 1_100)
        #expect(again.profile.refreshState.ambiguousSpendAt == 1_200)
        #expect(again.profile.refreshState.reauthenticationRequired)
        #expect(try store.read().profiles["a"]!.refreshState == again.profile.refreshState)

        var other = ImportedTokens()
        other.refreshToken = Secret(copying: "\(secretMarker)-other")
        let fresh = try store.importProfile("a", TokenProfile(imported: other, binding: binding, now: 3_000))
        #expect(fresh.profile.refreshState == RefreshState())
    }

    @Test("the library enforces one chain per profile and refuses stale input to an app that imports through it")
    func libraryRules() throws {
        let directory = TemporaryDirectory()
        let store = VaultStore(location: VaultLocation(path: FilePath(directory.file("tokens.vault"))), keys: KeyRing(keys: [VaultKey.generate()]))
        try store.create()
        let binding = RefreshBinding(tokenEndpoint: "https://auth.example.com/token", clientID: "c")
        var tokens = ImportedTokens()
        tokens.refreshToken = Secret(copying: "\(secretMarker)-library-chain")
        let profile = TokenProfile(imported: tokens, binding: binding, now: 1_000)
        let first = try store.importProfile("a", profile)
        #expect(!first.replaced)
        #expect(throws: ImportError.chainHeldByOtherProfile(profile: "b", holder: "a")) { try store.importProfile("b", profile) }
        #expect(throws: ImportError.chainHeldByOtherProfile(profile: "b", holder: "a")) { try store.importProfile("b", profile, allowStale: true) }

        var rotated = ImportedTokens()
        rotated.refreshToken = Secret(copying: "\(secretMarker)-library-next")
        #expect(try store.importProfile("a", TokenProfile(imported: rotated, binding: binding, now: 2_000)).replaced)
        #expect(throws: ImportError.spentRefreshToken(profile: "a", spentBy: "a")) { try store.importProfile("a", profile) }
        #expect(throws: ImportError.spentRefreshToken(profile: "c", spentBy: "a")) { try store.importProfile("c", profile) }
        #expect(throws: VaultError.self) { try store.importProfile("../x", profile) }
    }
}
