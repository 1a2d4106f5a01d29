import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A loopback OAuth token endpoint for the racing-processes figure: HTTP/1.1 on 127.0.0.1, one
/// request a connection (`Connection: close`), one connection at a time. `POST /token` with a
/// `refresh_token` grant gets a fresh access and refresh token pair when it presents the current
/// refresh token, and `invalid_grant` otherwise (a strict, rotating server); each such request is
/// counted. `POST /probe` gets an answer of the same shape after the same latency and is not
/// counted: it measures one round trip with a bare socket.
final class TokenEndpoint: Sendable {
    let port: Int
    /// How long the server takes to answer, like a real authorization server's database work.
    let latency: Double
    private let listener: Int32
    private let state = Mutex(State())
    private let finished = DispatchSemaphore(value: 0)

    private struct State {
        var currentRefreshToken = ""
        var issued = 0
        var tokenRequests = 0
        var lastAccessToken: String?
    }

    init(latency: Double) throws {
        self.latency = latency
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("socket failed") }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 128) == 0 else { close(descriptor); throw BenchError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        DispatchQueue(label: "token-endpoint").async { [self] in
            serve()
            finished.signal()
        }
    }

    var tokenURL: String { "http://127.0.0.1:\(port)/token" }

    /// Starts a new round: `refreshToken` is the one valid refresh token, the count is zero.
    func reset(refreshToken: String) {
        state.withLock {
            $0.currentRefreshToken = refreshToken
            $0.tokenRequests = 0
            $0.lastAccessToken = nil
        }
    }

    var tokenRequests: Int { state.withLock { $0.tokenRequests } }
    var lastAccessToken: String? { state.withLock { $0.lastAccessToken } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        finished.wait()
        close(listener)
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection >= 0 { _ = fcntl(connection, F_SETFD, FD_CLOEXEC) }
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        guard let (path, body) = Self.readRequest(connection) else { return }
        let form = Self.formFields(body)
        if latency > 0 { usleep(useconds_t(latency * 1e6)) }
        let answer: (status: String, body: String)
        if path == "/probe" {
            answer = ("200 OK", Self.tokenJSON(access: "probe-access-token-000000000000", refresh: "probe-refresh-token-0000000000"))
        } else if path == "/token", form["grant_type"] == "refresh_token" {
            answer = state.withLock { state in
                state.tokenRequests += 1
                guard form["refresh_token"] == state.currentRefreshToken else {
                    return ("400 Bad Request", #"{"error":"invalid_grant","error_description":"refresh token reused or unknown"}"#)
                }
                state.issued += 1
                let access = "bench-access-\(state.issued)-" + String(repeating: "a", count: 24)
                let refresh = "bench-refresh-\(state.issued)-" + String(repeating: "r", count: 24)
                state.currentRefreshToken = refresh
                state.lastAccessToken = access
                return ("200 OK", Self.tokenJSON(access: access, refresh: refresh))
            }
        } else {
            answer = ("404 Not Found", #"{"error":"not_found"}"#)
        }
        let response = "HTTP/1.1 \(answer.status)\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
            + "Content-Length: \(answer.body.utf8.count)\r\nConnection: close\r\n\r\n" + answer.body
        writeAll(connection, response)
    }

    static func tokenJSON(access: String, refresh: String) -> String {
        #"{"access_token":"\#(access)","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(refresh)"}"#
    }

    /// The request line's path and the body (by Content-Length); `nil` when the client went away.
    private static func readRequest(_ connection: Int32) -> (String, String)? {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            if let end = headerEnd, received.count >= end + contentLength { break }
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            received.append(contentsOf: chunk[0..<count])
            if headerEnd == nil, let end = find([13, 10, 13, 10], in: received) {
                headerEnd = end + 4
                let head = String(decoding: received[0..<end], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingPrefix(" ")) ?? 0
                }
            }
        }
        let head = String(decoding: received[0..<headerEnd!], as: UTF8.self)
        let requestLine = head.split(separator: "\r\n").first?.split(separator: " ") ?? []
        let path = requestLine.count > 1 ? String(requestLine[1]) : ""
        let body = String(decoding: received[headerEnd!...], as: UTF8.self)
        return (path, body)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// Form fields; the bench's tokens need no percent-decoding.
    private static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            fields[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return fields
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        return address
    }
}

func writeAll(_ descriptor: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}

/// One round trip with a bare socket: connect, send a refresh request the size of tokenvault's,
/// read the whole answer. No process start, no TLS, no library: the floor any client pays.
func socketRoundTrip(port: Int, refreshTokenLength: Int) throws -> Double {
    let body = "grant_type=refresh_token&refresh_token=" + String(repeating: "r", count: refreshTokenLength)
        + "&client_id=bench-client"
    let request = "POST /probe HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: application/json\r\n"
        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    let start = now()
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw BenchError("socket failed") }
    defer { close(descriptor) }
    var address = TokenEndpoint.loopback(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { throw BenchError("connect failed") }
    writeAll(descriptor, request)
    var chunk = [UInt8](repeating: 0, count: 4096)
    var total = 0
    while true {
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        total += count
    }
    guard total > 0 else { throw BenchError("no answer from the probe") }
    return now() - start
}
