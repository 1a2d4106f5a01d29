import Foundation
import Testing
@testable import TokenVault

/// `import` at a real pseudo-terminal (Tests/Harness/pty_drive.py): what a person who types or
/// pastes at the no-echo prompt gets, and the state the terminal is left in.
@Suite("terminal prompt")
struct TerminalPromptTests {
    private let importArguments = ["import", "typed", "--token-endpoint", "https://a.example.com/t", "--client-id", "c"]

    private func drive(_ sandbox: Sandbox, _ steps: [[String: Any]]) throws -> [String: Any] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        let report = try Harness.run("pty_drive.py", [json, tokenvaultExecutable] + importArguments, environment: sandbox.environment)
        // Whatever the terminal echoed is in the output: no typed or pasted token may be there.
        #expect(!(report["output"] as? String ?? "").contains(secretMarker), "a token was echoed: \(report["output"] ?? "")")
        return report
    }

    private func fingerprints(_ sandbox: Sandbox) throws -> (access: String?, refresh: String?, expiresIn: Int?) {
        let status = try sandbox.expectSuccess(["status", "typed", "--json"])
        let profile = ((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["profiles"] as? [[String: Any]])?.first
        let access = profile?["access_token"] as? [String: Any]
        let refresh = profile?["refresh_token"] as? [String: Any]
        return (access?["fingerprint"] as? String, refresh?["fingerprint"] as? String, access?["expires_in"] as? Int)
    }

    private func fingerprint(_ token: String) -> String { Secret(copying: token).fingerprint }

    @Test("Ctrl-C, Ctrl-\\, SIGTERM and SIGHUP at the no-echo prompt leave the terminal echoing again",
          arguments: [["send": "\u{03}"], ["send": "\u{1c}"], ["signal": "TERM"], ["signal": "HUP"]])
    func interruptRestoresEcho(_ interrupt: [String: String]) throws {
        let sandbox = try Sandbox()
        // A pty hands typed bytes to its line discipline from a kernel work queue: wait until they
        // have been taken in (without echo) before the interrupt, as a person's keystrokes would
        // have been, so that they are not still in flight when the handler turns echo back on.
        let report = try drive(sandbox, [["wait": "access_token: "], ["send": "\(secretMarker)-half"], ["sleep": 0.5], ["echo": true], interrupt])
        #expect(report["echo_states"] as? [Bool] == [false], "echo was on at the prompt: \(report)")
        #expect(report["echo_after"] as? Bool == true, "the terminal was left without echo: \(report)")
        #expect(report["exit"] as? Int != 0)
        #expect(try sandbox.profileNames().isEmpty)
    }

    @Test("Ctrl-Z at the prompt turns echo back on while stopped, and off again once continued")
    func suspendAndContinue() throws {
        let sandbox = try Sandbox()
        let report = try drive(sandbox, [
            ["wait": "access_token: "], ["send": "\u{1a}"], ["sleep": 0.5], ["echo": true],
            ["signal": "CONT"], ["sleep": 0.5], ["echo": true],
            ["send": "\(secretMarker)-typed-access\n"], ["wait": "refresh_token: "], ["send": "\n"], ["wait": "expires_in"], ["send": "\n"],
        ])
        #expect(report["echo_states"] as? [Bool] == [true, false], "\(report)")
        #expect(report["exit"] as? Int == 0, "\(report)")
        #expect(try fingerprints(sandbox).access == fingerprint("\(secretMarker)-typed-access"))
    }

    @Test("MCP Inspector's JSON pasted at the access_token prompt is read as JSON, on one line or many",
          arguments: [
            #"{"access_token":"tvsecret-json-at","token_type":"Bearer","expires_in":3600,"refresh_token":"tvsecret-json-rt"}"# + "\n",
            "{\n  \"access_token\": \"tvsecret-json-at\",\n  \"token_type\": \"Bearer\",\n  \"expires_in\": 3600,\n  \"scope\": \"read {x}\",\n  \"refresh_token\": \"tvsecret-json-rt\"\n}\n",
          ])
    func pastedJSON(_ paste: String) throws {
        let sandbox = try Sandbox()
        let report = try drive(sandbox, [["wait": "access_token: "], ["send": paste], ["sleep": 1.0], ["send": "\n\n\n"]])
        #expect(report["exit"] as? Int == 0, "\(report)")
        let found = try fingerprints(sandbox)
        #expect(found.access == fingerprint("\(secretMarker)-json-at"))
        #expect(found.refresh == fingerprint("\(secretMarker)-json-rt"))
        #expect((3590...3600).contains(found.expiresIn ?? 0))
    }

    @Test("what does not look like a token is refused at the prompt, and nothing is imported",
          arguments: ["\(secretMarker) with spaces", "\(secretMarker)}x", "\"\(secretMarker)-quoted\"", "access_token: \(secretMarker)"])
    func notTokenShaped(_ typed: String) throws {
        let sandbox = try Sandbox()
        let report = try drive(sandbox, [["wait": "access_token: "], ["send": typed + "\n"], ["sleep": 0.5], ["send": "\n\n\n"]])
        #expect(report["exit"] as? Int == 19, "\(report)")
        #expect((report["output"] as? String ?? "").contains("does not look like a token"), "\(report)")
        #expect(try sandbox.profileNames().isEmpty)
    }

    @Test("a bad expires_in is asked again instead of losing the tokens already pasted")
    func expiresInAskedAgain() throws {
        let sandbox = try Sandbox()
        let report = try drive(sandbox, [
            ["wait": "access_token: "], ["send": "\(secretMarker)-typed-access\n"], ["wait": "refresh_token: "], ["send": "\(secretMarker)-typed-refresh\n"],
            ["wait": "expires_in"], ["send": "soon\n"], ["wait": "try again"], ["send": "600\n"],
        ])
        #expect(report["exit"] as? Int == 0, "\(report)")
        let found = try fingerprints(sandbox)
        #expect(found.refresh == fingerprint("\(secretMarker)-typed-refresh"))
        #expect((590...600).contains(found.expiresIn ?? 0))
    }
}
