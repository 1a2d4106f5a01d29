import Foundation
import Testing

/// Runs the real curl against the fault server, so the fixture is checked by an HTTP client that is
/// not ours.
private func curl(_ arguments: [String]) throws -> RunResult {
    try runProcess("/usr/bin/curl", ["--silent", "--show-error"] + arguments, environment: ["PATH": "/usr/bin:/bin"])
}

private func elapsed(_ body: () throws -> Void) rethrows -> Duration {
    let start = ContinuousClock.now
    try body()
    return ContinuousClock.now - start
}

@Suite("FaultServer, the test fixture for a misbehaving token endpoint")
struct FaultServerSelfTests {
    @Test("a JSON response reaches curl with its status and body")
    func jsonResponse() throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"x"}"#)])
        let result = try curl(["--write-out", "\n%{http_code} %{content_type}", server.tokenURL])
        #expect(result.status == 0)
        #expect(result.stdout == "{\"access_token\":\"x\"}\n200 application/json")
    }

    @Test("a 429 carries its Retry-After header to the client")
    func retryAfter() throws {
        let server = try FaultServer([.respond(status: 429, headers: [("Retry-After", "7")], body: "slow down")])
        let result = try curl(["-i", server.tokenURL])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("HTTP/1.1 429 Too Many Requests\r\n"))
        #expect(result.stdout.contains("\r\nRetry-After: 7\r\n"))
        #expect(result.stdout.contains("\r\nConnection: close\r\n"))
        #expect(result.stdout.hasSuffix("\r\n\r\nslow down"))
    }

    @Test("behaviours are served in order and the last one repeats")
    func behavioursInOrder() throws {
        let server = try FaultServer([FaultServer.json(500, "{}"), FaultServer.json(200, "{}")])
        let codes = try (0..<3).map { _ in try curl(["--output", "/dev/null", "--write-out", "%{http_code}", server.tokenURL]).stdout }
        #expect(codes == ["500", "200", "200"])
        #expect(server.requests.count == 3)
    }

    @Test("closing without a response is an empty reply to curl (exit 52)")
    func closeWithoutResponse() throws {
        let server = try FaultServer([.closeWithoutResponse])
        let result = try curl([server.tokenURL])
        #expect(result.status == 52)
        #expect(server.requests.count == 1)
    }

    @Test("a body shorter than its Content-Length is a partial file to curl (exit 18)")
    func truncatedBody() throws {
        let server = try FaultServer([.truncatedBody(status: 200, declaredLength: 100, body: #"{"access_tok"#)])
        let result = try curl([server.tokenURL])
        #expect(result.status == 18)
        #expect(result.stdout == #"{"access_tok"#)
    }

    @Test("a slow answer makes curl time out (exit 28) and stop() still returns at once")
    func delayThenTimeout() throws {
        let server = try FaultServer([.delay(seconds: 2, then: FaultServer.json(200, "{}"))])
        let result = try curl(["--max-time", "0.5", server.tokenURL])
        #expect(result.status == 28)
        #expect(elapsed { server.stop() } < .seconds(1))
        #expect(server.requests.count == 1)
    }

    @Test("stop() drops a connection that is still waiting in a delay")
    func stopWhileDelaying() throws {
        let server = try FaultServer([.delay(seconds: 30, then: FaultServer.json(200, "{}"))])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--silent", "--max-time", "20", server.tokenURL]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(5)
        while server.requests.isEmpty && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(server.requests.count == 1)

        #expect(elapsed { server.stop() } < .seconds(1))
        process.waitUntilExit()
        #expect(process.terminationStatus == 52)
    }

    @Test("an oversized body arrives complete")
    func oversizedBody() throws {
        let server = try FaultServer([.oversizedBody(bytes: 1 << 20)])
        let result = try curl([server.tokenURL])
        #expect(result.status == 0)
        #expect(result.stdout.utf8.count == 1 << 20)
        #expect(result.stdout.utf8.allSatisfy { $0 == UInt8(ascii: "a") })
    }

    @Test("the server records the method, path, headers and form body of each request")
    func recordsRequests() throws {
        let server = try FaultServer([FaultServer.json(200, "{}")])
        let result = try curl(["--data", "a=1&b=2", "--header", "X-Probe: yes", server.tokenURL])
        #expect(result.status == 0)
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/token")
        #expect(request.body == "a=1&b=2")
        #expect(request.header("content-type") == "application/x-www-form-urlencoded")
        #expect(request.headers.contains { $0 == ("X-Probe", "yes") })
    }

    @Test("a client that hangs up mid-response does not disturb the server")
    func clientHangsUp() throws {
        let server = try FaultServer([.oversizedBody(bytes: 8 << 20), FaultServer.json(200, "{}")])
        // curl refuses the body after reading the headers and closes: the server writes into a dead socket.
        #expect(try curl(["--max-filesize", "1000", server.tokenURL]).status == 63)
        let result = try curl([server.tokenURL])
        #expect(result.status == 0)
        #expect(result.stdout == "{}")
    }

    @Test("a client that goes away during a delay is noticed, and the next request is served")
    func clientLeavesDuringDelay() throws {
        let server = try FaultServer([.delay(seconds: 1, then: FaultServer.json(200, #"{"late":true}"#)), FaultServer.json(200, "{}")])
        #expect(try curl(["--max-time", "0.2", server.tokenURL]).status == 28)
        let result = try curl([server.tokenURL])
        #expect(result.stdout == "{}")
        #expect(elapsed { server.stop() } < .milliseconds(500))
    }
}
