import Foundation
import Testing

/// `tokenvault agent` run as a process on a sandbox's vault, its socket in a folder that other
/// users may enter (0711, so that `nobody` can connect), its log in a file.
final class RunningAgent {
    let sandbox: Sandbox
    let folder = TemporaryDirectory()
    let allow: [String]
    let extraArguments: [String]
    var socket: String { folder.file("run/agent.sock") }
    var logPath: String { folder.file("agent.log") }
    private(set) var process: Process?

    init(_ sandbox: Sandbox, allow: [String], arguments: [String] = []) throws {
        self.sandbox = sandbox
        self.allow = allow
        self.extraArguments = arguments
        #expect(chmod(folder.path, 0o711) == 0)
        try FileManager.default.createDirectory(atPath: folder.file("run"), withIntermediateDirectories: false)
        #expect(chmod(folder.file("run"), 0o711) == 0)
        try start()
    }

    /// Starts the agent and waits until its socket answers.
    func start(sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tokenvaultExecutable)
        process.arguments = ["agent", "--socket", socket] + allow.flatMap { ["--allow", $0] } + extraArguments
        var environment = sandbox.environment
        environment["TOKENVAULT_LOG_LEVEL"] = "trace"
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if rawAsk("tokenvault-agent/1 token -\n") != nil { return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        Issue.record("the agent did not start: \(logText)", sourceLocation: sourceLocation)
    }

    var logText: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `request` as is and returns the answer line, `nil` when nothing answers.
    func rawAsk(_ request: String) -> String? {
        askAgent(on: socket, request)
    }

    /// `tokenvault ARGUMENTS` with TOKENVAULT_AGENT_SOCK set and no key, as the app's user
    /// (`asUser`: run through setpriv as that user).
    func client(_ arguments: [String], asUser user: String? = nil, stdin: String? = nil) throws -> RunResult {
        let environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "TOKENVAULT_AGENT_SOCK": socket]
        if let user {
            return try runProcess("/usr/bin/setpriv", ["--reuid=\(user)", "--regid=\(user == "nobody" ? "nogroup" : user)", "--clear-groups", tokenvaultExecutable] + arguments,
                                  environment: environment, stdin: stdin)
        }
        return try runProcess(tokenvaultExecutable, arguments, environment: environment, stdin: stdin)
    }

    func signal(_ number: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, number)
        process.waitUntilExit()
    }

    deinit {
        signal(SIGKILL)
        // However the test went: no token of the sandbox in the agent's trace-level log.
        #expect(!logText.contains(secretMarker), "a token reached the agent's log")
    }
}

func connectUnix(_ descriptor: Int32, _ path: String) -> Bool {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    } == 0
}

/// Sends `request` as is to the agent on `socket` and returns the answer line, `nil` when nothing answers.
func askAgent(on socket: String, _ request: String) -> String? {
    let connection = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard connection >= 0 else { return nil }
    defer { close(connection) }
    guard connectUnix(connection, socket) else { return nil }
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
        let written = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written > 0 else { break }
        sent += written
    }
    var answer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while !answer.contains(UInt8(ascii: "\n")) {
        let got = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
        guard got > 0 else { return answer.isEmpty ? nil : String(decoding: answer, as: UTF8.self) }
        answer += chunk[..<got]
    }
    return String(decoding: answer, as: UTF8.self)
}
