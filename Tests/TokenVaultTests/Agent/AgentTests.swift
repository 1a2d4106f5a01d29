import Foundation
import Testing

/// `tokenvault agent` as a process, asked by `tokenvault token` and `exec` without a key and by
/// raw sockets; every agent runs with TOKENVAULT_LOG_LEVEL=trace and its log is checked for tokens.
@Suite("agent")
struct AgentTests {
    private static let asRoot = geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    private func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        try sandbox.importProfile("admin")
        return sandbox
    }

    /// Who asks for what, and the exit code and output they get.
    struct Case: Sendable, CustomTestStringConvertible {
        let user: String?
        let profile: String
        let status: Int32
        var testDescription: String { "\(user ?? "the agent's own user") asks for \(profile): exit \(status)" }
    }

    @Test("peers are served or refused per --allow (users by name, other users through setpriv when root)", arguments: [
        Case(user: nil, profile: "readonly", status: 0),
        Case(user: nil, profile: "admin", status: 29),
        Case(user: "nobody", profile: "admin", status: 0),
        Case(user: "nobody", profile: "readonly", status: 29),
    ])
    func allowList(_ check: Case) throws {
        if check.user != nil, !Self.asRoot { return }
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly", "nobody:admin"])
        let result = try agent.client(["token", check.profile], asUser: check.user)
        #expect(result.status == check.status, "\(result.stderr)")
        if check.status == 0 {
            #expect(result.stdout == "\(secretMarker)-access-\(check.profile)\n")
        } else {
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("the agent does not serve profile '\(check.profile)'"), "\(result.stderr)")
            #expect(!result.stderr.contains(secretMarker))
            #expect(agent.logText.contains("refused a peer a profile not in --allow"), "\(agent.logText)")
            #expect(agent.logText.contains("profile=\(check.profile)"), "\(agent.logText)")
        }
    }

    @Test("a group entry (@GROUP) serves the group's members")
    func groupEntry() throws {
        let agent = try RunningAgent(try sandbox(), allow: ["@\(getegid()):admin"])
        let result = try agent.client(["token", "admin"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(secretMarker)-access-admin\n")
    }

    @Test("--vault, --keyfile and --key-fd are not ignored in silence when the agent answers")
    func flagsIgnoredForAgent() throws {
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly"])
        let result = try agent.client(["token", "readonly", "--vault", "/nonexistent/other.vault", "--keyfile", "/nonexistent/key"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(secretMarker)-access-readonly\n")
        #expect(result.stderr.contains("--vault ignored: TOKENVAULT_AGENT_SOCK is set, and the agent uses its own vault and key"), "\(result.stderr)")
        #expect(result.stderr.contains("--keyfile ignored: TOKENVAULT_AGENT_SOCK is set"), "\(result.stderr)")
    }

    @Test("exec puts the agent's token in the command's environment, without a key")
    func exec() throws {
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly"])
        let result = try agent.client(["exec", "readonly", "--", "/bin/sh", "-c", "printf '%s' \"$MCP_ACCESS_TOKEN\""])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(secretMarker)-access-readonly")
    }

    @Test("garbage, unknown verbs, bad profile names and oversized requests get an error answer, and the agent goes on serving", arguments: [
        "garbage\n",
        "tokenvault-agent/1 token\n",
        "tokenvault-agent/2 token readonly\n",
        "tokenvault-agent/1 refresh readonly\n",
        "tokenvault-agent/1 token ../readonly\n",
        "tokenvault-agent/1 rejected readonly\n",
        String(repeating: "x", count: 100_000),
        "tokenvault-agent/1 token " + String(repeating: "a", count: 5000) + "\n",
    ])
    func badRequests(_ request: String) throws {
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly"])
        let answer = agent.rawAsk(request)
        #expect(answer?.hasPrefix("error 19 ") == true, "\(answer ?? "no answer")")
        #expect(agent.rawAsk("tokenvault-agent/1 token readonly\n") == "ok \(secretMarker)-access-readonly\n")
    }

    @Test("a silent client does not block another, and is answered with an error after 5 s")
    func silentClient() throws {
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly"])
        let silent = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        #expect(connectUnix(silent, agent.socket))
        let started = Date()
        #expect(agent.rawAsk("tokenvault-agent/1 token readonly\n") == "ok \(secretMarker)-access-readonly\n")
        #expect(Date().timeIntervalSince(started) < 2)
        var chunk = [UInt8](repeating: 0, count: 256)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(silent, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let got = chunk.withUnsafeMutableBytes { recv(silent, $0.baseAddress, $0.count, 0) }
        #expect(got > 0 && String(decoding: chunk[..<got], as: UTF8.self).hasPrefix("error 19 no complete request within 5 s"))
    }

    @Test("clients that leave mid-request harm nothing")
    func leavingClients() throws {
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly"])
        for partial in ["", "tokenvault-agent/1 tok", "tokenvault-agent/1 token readonly"] {
            let connection = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            #expect(connectUnix(connection, agent.socket))
            _ = partial.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(connection)
        }
        #expect(agent.rawAsk("tokenvault-agent/1 token readonly\n") == "ok \(secretMarker)-access-readonly\n")
    }

    @Test("a killed agent is exit 23 with a clear error; a restarted one serves again on the same path")
    func killedAndRestarted() throws {
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly"])
        #expect(try agent.client(["token", "readonly"]).status == 0)
        agent.signal(SIGKILL)
        // The socket file is left behind by SIGKILL: connecting is refused.
        for arguments in [["token", "readonly"], ["exec", "readonly", "--", "/bin/true"]] {
            let down = try agent.client(arguments)
            #expect(down.status == 23, "\(down.stderr)")
            #expect(down.stderr.contains("tokenvault: error: no tokenvault agent answers on \(agent.socket)"), "\(down.stderr)")
            #expect(down.stderr.contains("tokenvault: hint: start the agent"), "\(down.stderr)")
        }
        try agent.start()
        let again = try agent.client(["token", "readonly"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == "\(secretMarker)-access-readonly\n")
    }

    @Test("SIGTERM ends the agent with exit 0 and removes its socket")
    func sigterm() throws {
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly"])
        #expect(FileManager.default.fileExists(atPath: agent.socket))
        agent.signal(SIGTERM)
        #expect(agent.process?.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: agent.socket))
    }

    @Test("1,000 clients connected at once are all served")
    func thousandClients() throws {
        let agent = try RunningAgent(try sandbox(), allow: ["\(geteuid()):readonly"])
        let connections = (0..<1000).map { _ in socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0) }
        defer { connections.forEach { close($0) } }
        for connection in connections {
            var connected = connectUnix(connection, agent.socket)
            // The listen backlog may be full for a moment while the agent accepts.
            for _ in 0..<200 where !connected {
                usleep(10_000)
                connected = connectUnix(connection, agent.socket)
            }
            #expect(connected)
        }
        let request = Array("tokenvault-agent/1 token readonly\n".utf8)
        for connection in connections {
            #expect(request.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == request.count)
        }
        let expected = Array("ok \(secretMarker)-access-readonly\n".utf8)
        var served = 0
        for connection in connections {
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var answer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 256)
            while answer.last != UInt8(ascii: "\n") {
                let got = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                guard got > 0 else { break }
                answer += chunk[..<got]
            }
            if answer == expected { served += 1 }
        }
        #expect(served == 1000)
    }

    @Test("an unsafe socket folder or a malformed --allow is refused before anything is served", arguments: [
        (["--allow", "no-such-user-here:readonly"], Int32(64), "no user 'no-such-user-here'"),
        (["--allow", "root"], Int32(64), "expected USER:PROFILE"),
        (["--allow", "root:../x"], Int32(64), "each profile must be a profile name or *"),
        (["--allow", "root:readonly", "--group-writable-folder"], Int32(14), "is writable by group or others"),
    ])
    func refusedSetup(_ arguments: [String], _ status: Int32, _ message: String) throws {
        let sandbox = try sandbox()
        let folder = TemporaryDirectory()
        var arguments = arguments
        if let flag = arguments.firstIndex(of: "--group-writable-folder") {
            arguments.remove(at: flag)
            #expect(chmod(folder.path, 0o770) == 0)
        }
        let result = try sandbox.run(["agent", "--socket", folder.file("agent.sock")] + arguments)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("agent.sock")))
    }
}

/// What the agent does on its own: refreshing ahead of expiry, noticing other writers, and
/// serving the socket systemd hands it.
@Suite("agent, unasked")
struct AgentBackgroundTests {
    @Test("a profile inside its refresh margin is refreshed in the background and sealed before anyone asks")
    func refreshAhead() throws {
        let fresh = "\(secretMarker)-access-fresh"
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(fresh)","refresh_token":"\#(secretMarker)-refresh-fresh","expires_in":3600}"#)])
        let sandbox = try Sandbox()
        // 6 s of life: a margin of a fifth, so the refresh is due after about 5 s.
        try sandbox.importProfile("p", expiresIn: 6, endpoint: server.tokenURL)
        let agent = try RunningAgent(sandbox, allow: ["\(geteuid()):p"], arguments: ["--refresh-check", "1"])
        let deadline = Date().addingTimeInterval(30)
        while server.requests.isEmpty, Date() < deadline { usleep(100_000) }
        #expect(server.requests.count == 1, "no background refresh: \(agent.logText)")
        // Sealed first: the vault holds the new token, as tokenvault with the key reads it.
        var sealed = ""
        while Date() < deadline {
            sealed = try sandbox.run(["token", "p"], secretOnStdout: true).stdout
            if sealed == fresh + "\n" { break }
            usleep(100_000)
        }
        #expect(sealed == fresh + "\n")
        let served = try agent.client(["token", "p"])
        #expect(served.stdout == fresh + "\n", "\(served.stderr)")
        #expect(server.requests.count == 1)
    }

    @Test("a profile another writer re-imported is served as the vault now holds it")
    func otherWriter() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let agent = try RunningAgent(sandbox, allow: ["\(geteuid()):p"])
        #expect(try agent.client(["token", "p"]).stdout == "\(secretMarker)-access-p\n")
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "client-p", "--force"],
                                  stdin: #"{"access_token":"\#(secretMarker)-access-again","refresh_token":"\#(secretMarker)-refresh-again","expires_in":3600}"#)
        #expect(try agent.client(["token", "p"]).stdout == "\(secretMarker)-access-again\n")
    }

    @Test("under socket activation (systemd-socket-activate) the agent serves the socket it is given on fd 3")
    func socketActivation() throws {
        let activate = "/usr/bin/systemd-socket-activate"
        try #require(FileManager.default.isExecutableFile(atPath: activate), "systemd-socket-activate is not installed (apt-get install systemd)")
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let folder = TemporaryDirectory()
        let socket = folder.file("agent.sock")
        let log = folder.file("agent.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: activate)
        // It passes the program only the variables named with --setenv, and LISTEN_PID, LISTEN_FDS.
        var environment = sandbox.environment
        environment["TOKENVAULT_LOG_LEVEL"] = "trace"
        process.arguments = ["--listen=\(socket)"] + environment.keys.sorted().map { "--setenv=\($0)=\(environment[$0]!)" }
            + [tokenvaultExecutable, "agent", "--allow", "\(geteuid()):p"]
        process.environment = environment
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: socket), Date() < deadline { usleep(20_000) }
        // The first connection starts the agent, which answers it on the socket it was given.
        #expect(askAgent(on: socket, "tokenvault-agent/1 token p\n") == "ok \(secretMarker)-access-p\n")
        #expect(askAgent(on: socket, "tokenvault-agent/1 token p\n") == "ok \(secretMarker)-access-p\n")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("fd 3 (systemd)"), "\(text)")
        #expect(!text.contains(secretMarker))
    }
}
