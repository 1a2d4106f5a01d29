import TokenVault
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// `tokenvault agent` started for a benchmark, on a socket in the fixture's folder, serving every
/// profile to this user; stopped (SIGTERM) by `stop()`.
final class BenchAgent {
    let socket: String
    let pid: pid_t

    init(_ cli: String, fixture: Fixture) throws {
        socket = fixture.folder + "/agent/agent.sock"
        guard mkdir(fixture.folder + "/agent", 0o700) == 0 || errno == EEXIST else { throw BenchError("cannot make the agent's folder") }
        let command = Command(cli, ["agent", "--socket", socket, "--allow", "\(getuid()):*", "--refresh-check", "3600"],
                              environment: fixture.environment, label: "tokenvault agent")
        pid = try command.spawn(stdout: DevNull.descriptor, stderr: DevNull.descriptor)
        let deadline = now() + 30
        while (try? AgentClient.token(for: fixture.texts[0].name, socket: socket)) == nil {
            guard now() < deadline else { stop(); throw BenchError("tokenvault agent did not answer on \(socket)") }
            usleep(10_000)
        }
    }

    func stop() {
        kill(pid, SIGTERM)
        _ = Command.wait(pid)
    }

    /// The agent's resident memory at its peak and now, from /proc, in KiB.
    func memoryKiB() -> (peak: Int, now: Int) {
        let text = (try? run("/bin/cat", ["/proc/\(pid)/status"])) ?? ""
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return (field("VmHWM"), field("VmRSS"))
    }
}

extension Bench {
    /// What one client at a time reads from a Python process: connect, one request, the answer,
    /// each timed with perf_counter_ns; prints the median, the 90th and the 99th percentile in ns.
    static let pythonAgentLoop = """
        import socket, sys, time
        path, profile, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
        request = ("tokenvault-agent/1 token %s\\n" % profile).encode()
        times = []
        for index in range(count + 50):
            start = time.perf_counter_ns()
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(path)
            client.sendall(request)
            answer = b""
            while not answer.endswith(b"\\n"):
                chunk = client.recv(65536)
                if not chunk:
                    break
                answer += chunk
            client.close()
            elapsed = time.perf_counter_ns() - start
            if not answer.startswith(b"ok "):
                sys.exit("the agent answered: %r" % answer[:40])
            if index >= 50:
                times.append(elapsed)
        times.sort()
        pick = lambda percent: times[min(len(times) - 1, int(len(times) * percent / 100))]
        print(pick(50), pick(90), pick(99))
        """

    /// The agent's figures: one token over its socket from Swift and from Python (median and
    /// p99) next to `tokenvault token` as a process (through the agent, and with the key) and
    /// `age -d`; its memory with 10,000 profiles; 1,000 clients asking at once.
    static func agentFigures(_ options: Options, age: Command) throws -> [Figure] {
        var figures: [Figure] = []
        // A thousand clients at once need a thousand descriptors here and in the agent, which
        // inherits the limit.
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)

        // A vault of its own: the file store's figures rotate the pair's tokens.
        let vault = try Fixture(profiles: 2, in: options.folder)
        let agent = try BenchAgent(options.tokenvaultStatic, fixture: vault)
        defer { agent.stop() }
        let expected = vault.texts[0].accessToken

        note("agent: one token over the socket, from Swift and from Python, and as a process")
        var swift = Samples()
        let calls = options.count(5_000, minimum: 500)
        for index in 0..<(calls + 100) {
            var token: Secret?
            let seconds = try timed { token = try AgentClient.token(for: "p0", socket: agent.socket) }
            guard token?.unsafeStringValue() == expected else { throw BenchError("the agent answered another token") }
            if index >= 100 { swift.add(seconds) }
        }
        let pythonFigures = try run("/usr/bin/python3", ["-c", pythonAgentLoop, agent.socket, "p0", String(calls)])
            .split(separator: " ").compactMap { Double($0.filter { !$0.isWhitespace }) }
        guard pythonFigures.count == 3 else { throw BenchError("the Python client printed no figures") }
        let python = pythonFigures.map { $0 / 1e9 }

        var agentEnvironment = vault.environment
        agentEnvironment["TOKENVAULT_AGENT_SOCK"] = agent.socket
        agentEnvironment["TOKENVAULT_KEYFILE"] = nil
        let viaAgent = Command(options.tokenvaultStatic, ["token", "p0"], environment: agentEnvironment, label: "token (agent)")
        let withKey = Command(options.tokenvaultStatic, ["token", "p0"], environment: vault.environment, label: "token (key)")
        guard try viaAgent.output().text == expected + "\n" else { throw BenchError("tokenvault token through the agent printed another token") }
        let processes = try measureProcesses([viaAgent, withKey, age], warmup: 10, iterations: options.count(200, minimum: 20))
        let process = processes[1].median
        let clients = [
            ("Swift", swift.median, swift.p90, swift.percentile(99)), ("Python", python[0], python[1], python[2]),
        ]
        for (name, median, p90, p99) in clients {
            figures.append(Figure(
                name: "one token over the agent socket, \(name)", median: duration(median), p90: duration(p90),
                reference: "p99 \(duration(p99)); tokenvault token: \(duration(process))", ratio: ratio(median / process),
                target: "≤ 100 µs, ≥ 20× faster", result: Figure.verdict(median <= 100e-6 && process / median >= 20)
                    + " (\(fixed(process / median, decimals: 0))× faster)"
            ))
        }
        figures.append(Figure(
            name: "  tokenvault token through the agent (process)", median: duration(processes[0].median), p90: duration(processes[0].p90),
            reference: "age -d: \(duration(processes[2].median))", ratio: ratio(processes[0].median / processes[2].median),
            target: "", result: "(context: no key in the process)"
        ))

        note("agent: 1,000 clients at once")
        let (wall, latencies) = try thousandClients(socket: agent.socket, expected: expected)
        figures.append(Figure(
            name: "1,000 clients at once, agent", median: duration(latencies.median), p90: duration(latencies.p90),
            reference: "p99 \(duration(latencies.percentile(99))); all in \(duration(wall))", ratio: "", target: "all served",
            result: "\(grouped(Int(1_000 / wall))) answers/s"
        ))

        note("agent: memory with 10,000 profiles")
        let big = try Fixture(profiles: 10_000, in: options.folder)
        let bigAgent = try BenchAgent(options.tokenvaultStatic, fixture: big)
        let memory = bigAgent.memoryKiB()
        bigAgent.stop()
        let vaultSize = (try? FilePath(big.vaultPath).stat().size).map(Int.init) ?? 0
        figures.append(Figure(
            name: "agent memory, 10,000 profiles (peak RSS)", median: bytes(memory.peak * 1024), p90: "",
            reference: "vault \(bytes(vaultSize)); now \(bytes(memory.now * 1024))", ratio: ratio(Double(memory.peak * 1024) / Double(max(vaultSize, 1))),
            target: "", result: "(context)"
        ))
        return figures
    }

    /// Connects 1,000 clients, sends every request, then waits for every answer with poll: the
    /// wall time, and each client's time from its request to its whole answer.
    static func thousandClients(socket path: String, expected: String) throws -> (wall: Double, latencies: Samples) {
        let count = 1_000
        let request = Array("tokenvault-agent/1 token p0\n".utf8)
        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        for _ in 0..<count {
            let client = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard client >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
            clients.append(client)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard connected == 0 else { throw BenchError("connect: \(String(cString: strerror(errno)))") }
        }
        let start = now()
        var sentAt = [Double](repeating: 0, count: count)
        for (index, client) in clients.enumerated() {
            sentAt[index] = now()
            guard request.withUnsafeBytes({ write(client, $0.baseAddress, $0.count) }) == request.count else {
                throw BenchError("a request could not be sent")
            }
        }
        var answers = [[UInt8]](repeating: [], count: count)
        var latencies = Samples()
        var open = Set(0..<count)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            guard now() - start < 60 else { throw BenchError("\(open.count) of 1,000 clients had no answer after 60 s") }
            var polled = open.map { pollfd(fd: clients[$0], events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), 1_000)
            guard ready >= 0 || errno == EINTR else { throw BenchError("poll: \(String(cString: strerror(errno)))") }
            for entry in polled where entry.revents != 0 {
                let index = clients.firstIndex(of: entry.fd)!
                let got = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if got > 0 { answers[index] += buffer[0..<got] }
                if got <= 0 || answers[index].last == UInt8(ascii: "\n") {
                    latencies.add(now() - sentAt[index])
                    open.remove(index)
                }
            }
        }
        let wall = now() - start
        let okay = Array("ok \(expected)\n".utf8)
        let served = answers.filter { $0 == okay }.count
        guard served == count else { throw BenchError("\(count - served) of 1,000 clients were not served") }
        return (wall, latencies)
    }
}
