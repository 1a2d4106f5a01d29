import Foundation
import Testing

/// The files in Examples/ run as written, with only the binary's path substituted.
@Suite("examples")
struct ExamplesTests {
    enum State: String, Sendable, CaseIterable {
        case fine = "every profile fine"
        case signIn = "a profile needs a person"
        case wrongKey = "the wrong key"
        case noKey = "no key"
        case noVault = "no vault"
        case noBinary = "tokenvault not at the path"
    }

    @Test("Examples/tokenvault-check tells 'a person must sign in' (30) from 'the setup is broken' (any other code)", arguments: State.allCases)
    func check(_ state: State) throws {
        let sandbox = try Sandbox()
        let script = try String(contentsOf: sourceTree.appendingPathComponent("Examples/tokenvault-check"), encoding: .utf8)
        let line = "TOKENVAULT=/usr/local/bin/tokenvault\n"
        #expect(script.contains(line))
        let binary = state == .noBinary ? sandbox.directory.file("missing/tokenvault") : tokenvaultExecutable
        let copy = sandbox.directory.file("tokenvault-check")
        #expect(FileManager.default.createFile(atPath: copy, contents: Data(script.replacingOccurrences(of: line, with: "TOKENVAULT=\(binary)\n").utf8),
                                               attributes: [.posixPermissions: 0o755]))
        try sandbox.importProfile("p")
        var environment = sandbox.environment
        switch state {
        case .fine, .noBinary: break
        case .signIn:
            try sandbox.expectSuccess(["import", "q", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"],
                                      stdin: #"{"access_token":"\#(secretMarker)-expired","expires_in":-60}"#)
        case .wrongKey:
            let other = sandbox.directory.file("other.key")
            try sandbox.expectSuccess(["keygen", "--output", other])
            environment["TOKENVAULT_KEYFILE"] = other
        case .noKey: environment["TOKENVAULT_KEYFILE"] = nil
        case .noVault: environment["TOKENVAULT_PATH"] = sandbox.directory.file("elsewhere/tokens.vault")
        }
        // cron's PATH: no tokenvault on it.
        environment["PATH"] = "/usr/bin:/bin"
        let result = try runProcess(copy, [], environment: environment)
        #expect(!result.output.contains(secretMarker))
        let broken = "tokenvault: the setup is broken (exit \(result.status)): no re-authentication will fix it\n"
        switch state {
        case .fine:
            #expect(result.status == 0)
            #expect(result.output.isEmpty)
        case .signIn:
            #expect(result.status == 30)
            #expect(result.stdout == """
                tokenvault: a person must sign in again: sign in and run 'tokenvault import PROFILE …' (README, "Re-authentication")
                check: q: access token expired and the last refresh failed
                check: p: refresh token expiry unknown (the server sent none; track it with 'tokenvault set p --refresh-lifetime 30d')
                check: 1 problem

                """)
        case .wrongKey:
            #expect(result.status == 11)
            #expect(result.stdout.hasPrefix(broken + "tokenvault: error: \(sandbox.vault) was sealed with a different key"), "\(result.stdout)")
        case .noKey:
            #expect(result.status == 10)
            #expect(result.stdout.hasPrefix(broken + "tokenvault: error: no vault key"), "\(result.stdout)")
        case .noVault:
            #expect(result.status == 15)
            #expect(result.stdout.hasPrefix(broken + "tokenvault: error: "), "\(result.stdout)")
        case .noBinary:
            #expect(result.status == 127)
            #expect(result.stdout.hasPrefix(broken), "\(result.stdout)")
        }
    }

    @Test("each sample unit is one systemd-analyze accepts (with its ExecStart= pointed at a real program)",
          arguments: ["tokenvault-app.service", "tokenvault-credential.service"])
    func serviceUnit(_ name: String) throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed (apt-get install systemd)")
        let unit = try String(contentsOf: sourceTree.appendingPathComponent("Examples/\(name)"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/app\n"))
        let directory = TemporaryDirectory()
        let copy = directory.file(name)
        #expect(FileManager.default.createFile(atPath: copy, contents: Data(unit.replacingOccurrences(of: "ExecStart=/usr/local/bin/app\n", with: "ExecStart=/bin/true\n").utf8)))
        let result = try runProcess(analyze, ["verify", copy], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.isEmpty, "\(result.output)")
    }

    @Test("the agent's sample units (socket, agent, app) are ones systemd-analyze accepts, and agree on the socket")
    func agentUnits() throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed (apt-get install systemd)")
        let names = ["tokenvault-agent.socket", "tokenvault-agent.service", "tokenvault-agent-app.service"]
        let directory = TemporaryDirectory()
        var units: [String: String] = [:]
        for name in names {
            let unit = try String(contentsOf: sourceTree.appendingPathComponent("Examples/\(name)"), encoding: .utf8)
            units[name] = unit
            let runnable = unit.replacingOccurrences(of: "ExecStart=/usr/local/bin/app\n", with: "ExecStart=/bin/true\n")
                .replacingOccurrences(of: "ExecStart=/usr/local/bin/tokenvault ", with: "ExecStart=\(tokenvaultExecutable) ")
            #expect(FileManager.default.createFile(atPath: directory.file(name), contents: Data(runnable.utf8)))
        }
        for name in names {
            let result = try runProcess(analyze, ["verify", directory.file(name)], environment: ["PATH": "/usr/bin:/bin"])
            #expect(result.status == 0, "\(name): \(result.output)")
            #expect(result.output.isEmpty, "\(name): \(result.output)")
        }
        let socket = "/run/tokenvault-agent/agent.sock"
        #expect(units["tokenvault-agent.socket"]!.contains("ListenStream=\(socket)\n"))
        #expect(units["tokenvault-agent-app.service"]!.contains("Environment=TOKENVAULT_AGENT_SOCK=\(socket)\n"))
        let agent = units["tokenvault-agent.service"]!
        #expect(agent.contains("ExecStart=/usr/local/bin/tokenvault agent --allow "))
        #expect(agent.contains("\nUser=tokenvault\n") && units["tokenvault-agent-app.service"]!.contains("\nUser=app\n"))
        #expect(!units["tokenvault-agent-app.service"]!.contains("TOKENVAULT_KEY"))
    }

    @Test("the credential unit names its credential with TOKENVAULT_KEY_CREDENTIAL, as LoadCredentialEncrypted= loads it")
    func credentialUnit() throws {
        let unit = try String(contentsOf: sourceTree.appendingPathComponent("Examples/tokenvault-credential.service"), encoding: .utf8)
        let lines = unit.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        #expect(lines.contains("LoadCredentialEncrypted=tokenvault-key:/etc/credstore.encrypted/tokenvault-key"))
        #expect(lines.contains("Environment=TOKENVAULT_KEY_CREDENTIAL=tokenvault-key"))
        #expect(!lines.contains { $0.contains("TOKENVAULT_KEYFILE") || $0.contains("TOKENVAULT_KEY=") })
    }

    @Test("Keys.example holds no usable key: every line is a comment, and tokenvault refuses it as a keyfile")
    func keysExample() throws {
        let text = try String(contentsOf: sourceTree.appendingPathComponent("Keys.example"), encoding: .utf8)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            #expect(line.hasPrefix("#"), "not a comment: \(line)")
        }
        for source in ["--keyfile", "--key-fd", "TOKENVAULT_KEY=", "TOKENVAULT_KEY_COMMAND=", "TOKENVAULT_KEY_CREDENTIAL=", "TOKENVAULT_KEYFILE=", "LoadCredential=", "LoadCredentialEncrypted=", "tokenvault keygen"] {
            #expect(text.contains(source), "Keys.example does not show \(source)")
        }
        let sandbox = try Sandbox()
        // A private copy, so that the refusal is about what it holds, not its mode.
        let copy = sandbox.directory.file("Keys.example")
        #expect(FileManager.default.createFile(atPath: copy, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        let listed = try sandbox.run(["keyfile", "list", copy])
        #expect(listed.status == 10)
        #expect(listed.stderr.contains("tokenvault: error: \(copy) holds no key"), "\(listed.stderr)")
        let opened = try sandbox.run(["list"], environment: ["TOKENVAULT_KEYFILE": copy])
        #expect(opened.status == 10)
    }
}
