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

    @Test("Examples/tokenvault-app.service is a unit systemd-analyze accepts (with its ExecStart= pointed at a real program)")
    func serviceUnit() throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed (apt-get install systemd)")
        let unit = try String(contentsOf: sourceTree.appendingPathComponent("Examples/tokenvault-app.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/app\n"))
        let directory = TemporaryDirectory()
        let copy = directory.file("tokenvault-app.service")
        #expect(FileManager.default.createFile(atPath: copy, contents: Data(unit.replacingOccurrences(of: "ExecStart=/usr/local/bin/app\n", with: "ExecStart=/bin/true\n").utf8)))
        let result = try runProcess(analyze, ["verify", copy], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.isEmpty, "\(result.output)")
    }
}
