import Dispatch
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for the faults a real OAuth authorization server will not
/// produce on demand: slow answers, dropped connections, truncated and oversized bodies.
///
/// It speaks real HTTP over a real socket, so the client under test (libcurl) runs its real code
/// paths. One request per connection: every response carries `Connection: close`.
final class FaultServer: @unchecked Sendable {
    enum Behavior: Sendable {
        /// A complete response.
        case respond(status: Int, headers: [(String, String)] = [], body: String)
        /// Waits, then behaves as `then`. The client may time out meanwhile; the server notices
        /// the client went away and drops the connection.
        indirect case delay(seconds: Double, then: Behavior)
        /// Reads the request, then closes the connection without a byte of response.
        case closeWithoutResponse
        /// Sends headers with a Content-Length larger than the body it sends, then closes.
        case truncatedBody(status: Int, declaredLength: Int, body: String)
        /// Sends a 200 with a body of `bytes` bytes of `a` (valid HTTP, Content-Length set).
        case oversizedBody(bytes: Int)
    }

    struct Request: Sendable {
        let method: String
        let path: String
        /// Header names exactly as received.
        let headers: [(String, String)]
        let body: String

        /// The first header of that name, compared case-insensitively.
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    enum Error: Swift.Error {
        case noBehaviors
        case socket(String, errno: Int32)
    }

    /// A complete JSON response.
    static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> Behavior {
        .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    let port: Int
    private let state: State

    /// Serves `behaviors` in order, one per request; the last one repeats forever.
    convenience init(_ behaviors: [Behavior]) throws {
        try self.init { _ in behaviors }
    }

    /// Serves the behaviors made for the server's own port (metadata documents that name the
    /// server's origin), in order, one per request; the last one repeats forever.
    init(_ behaviors: (_ port: Int) -> [Behavior]) throws {
        let listener = try Self.openListener()
        let behaviors = behaviors(listener.port)
        guard !behaviors.isEmpty else {
            close(listener.fd)
            throw Error.noBehaviors
        }
        port = listener.port
        state = State(listener: listener.fd, behaviors: behaviors)
        state.start()
    }

    deinit {
        stop()
    }

    /// "http://127.0.0.1:<port>/token"
    var tokenURL: String { "http://127.0.0.1:\(port)/token" }

    /// Every request received so far, in arrival order.
    var requests: [Request] { state.requests }

    /// Stops accepting, drops every open connection (also one waiting in `delay`) and waits for
    /// the server's threads to finish. Safe to call more than once.
    func stop() {
        state.stop()
    }

    private static func openListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, socketStream, 0)
        guard fd >= 0 else { throw Error.socket("socket", errno: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw Error.socket("bind/listen", errno: code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw Error.socket("getsockname", errno: code)
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

// MARK: - Shared state and threads

extension FaultServer {
    /// Everything the server's threads touch. The threads hold this, never the `FaultServer`,
    /// so that dropping the server runs its `deinit` and stops them.
    fileprivate final class State: @unchecked Sendable {
        private struct Shared {
            var stopped = false
            var nextBehavior = 0
            var requests: [Request] = []
            var connections: Set<Int32> = []
        }

        private let listener: Int32
        private let behaviors: [Behavior]
        private let shared = Mutex(Shared())
        private let threads = DispatchGroup()

        init(listener: Int32, behaviors: [Behavior]) {
            self.listener = listener
            self.behaviors = behaviors
        }

        var requests: [Request] { shared.withLock { $0.requests } }

        var isStopped: Bool { shared.withLock { $0.stopped } }

        func start() {
            threads.enter()
            let thread = Thread { [self] in
                acceptLoop()
                threads.leave()
            }
            thread.name = "FaultServer accept"
            thread.start()
        }

        func stop() {
            let first = shared.withLock { shared -> Bool in
                guard !shared.stopped else { return false }
                shared.stopped = true
                // Wakes every thread blocked in recv, poll or send on these sockets.
                for connection in shared.connections { _ = shutdown(connection, Int32(SHUT_RDWR)) }
                return true
            }
            if first {
                // Wakes the accept thread (accept fails with EINVAL on a shut-down listener).
                _ = shutdown(listener, Int32(SHUT_RDWR))
            }
            if threads.wait(timeout: .now() + 5) == .timedOut {
                Issue.record("FaultServer threads did not finish within 5 s of stop()")
            }
            if first { close(listener) }
        }

        private func acceptLoop() {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                let admitted = shared.withLock { shared -> Bool in
                    guard !shared.stopped else { return false }
                    shared.connections.insert(connection)
                    return true
                }
                guard admitted else {
                    close(connection)
                    return
                }
                #if canImport(Darwin)
                var yes: Int32 = 1
                setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
                #endif
                threads.enter()
                let thread = Thread { [self] in
                    serve(connection)
                    shared.withLock { _ = $0.connections.remove(connection) }
                    close(connection)
                    threads.leave()
                }
                thread.name = "FaultServer connection"
                thread.start()
            }
        }

        private func serve(_ connection: Int32) {
            guard let request = readRequest(connection) else { return }
            let behavior = shared.withLock { shared -> Behavior in
                shared.requests.append(request)
                let index = min(shared.nextBehavior, behaviors.count - 1)
                shared.nextBehavior += 1
                return behaviors[index]
            }
            perform(behavior, on: connection)
        }

        private func perform(_ behavior: Behavior, on connection: Int32) {
            switch behavior {
            case let .respond(status, headers, body):
                let bytes = Array(body.utf8)
                sendAll(connection, head(status: status, headers: headers, contentLength: bytes.count) + bytes)
            case let .delay(seconds, then):
                guard wait(seconds, on: connection) else { return }
                perform(then, on: connection)
            case .closeWithoutResponse:
                return
            case let .truncatedBody(status, declaredLength, body):
                let bytes = Array(body.utf8)
                sendAll(connection, head(status: status, headers: [], contentLength: declaredLength) + bytes)
            case let .oversizedBody(count):
                let headers = [("Content-Type", "application/json")]
                guard sendAll(connection, head(status: 200, headers: headers, contentLength: count)) else { return }
                let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
                var remaining = count
                while remaining > 0 {
                    let size = min(remaining, chunk.count)
                    guard sendAll(connection, Array(chunk[0..<size])) else { return }
                    remaining -= size
                }
            }
            // Half-close so the client sees the end of the response before the socket goes away.
            _ = shutdown(connection, Int32(SHUT_WR))
        }

        /// Waits `seconds`, watching the connection. False when the client went away or the
        /// server stopped meanwhile.
        private func wait(_ seconds: Double, on connection: Int32) -> Bool {
            let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
            while ContinuousClock.now < deadline {
                if isStopped { return false }
                let left = deadline - ContinuousClock.now
                let slice = Int32(min(50, max(1, left / .milliseconds(1))))
                var watched = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
                let ready = poll(&watched, 1, slice)
                if ready > 0 {
                    // Readable after a complete request: either the client closed (recv says 0 or
                    // fails) or it sent more bytes, which this server ignores.
                    var byte: UInt8 = 0
                    let peeked = recv(connection, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
                    if peeked == 0 { return false }
                    if peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { return false }
                    if peeked > 0 { _ = usleep(UInt32(slice) * 1000) }
                }
            }
            return !isStopped
        }

        // MARK: HTTP

        private func readRequest(_ connection: Int32) -> Request? {
            var buffer: [UInt8] = []
            let separator: [UInt8] = Array("\r\n\r\n".utf8)
            var headerEnd: Int?
            while headerEnd == nil {
                guard buffer.count < 64 * 1024, let more = receive(connection) else { return nil }
                let searchFrom = max(0, buffer.count - 3)
                buffer += more
                headerEnd = buffer.indices.dropFirst(searchFrom).first { index in
                    index + 4 <= buffer.count && Array(buffer[index..<index + 4]) == separator
                }
            }
            let headEnd = headerEnd!
            let lines = String(decoding: buffer[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
            let requestLine = lines[0].split(separator: " ")
            guard requestLine.count >= 2 else { return nil }
            var headers: [(String, String)] = []
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = String(line[..<colon])
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers.append((name, value))
            }
            func header(_ name: String) -> String? {
                headers.first { $0.0.lowercased() == name }?.1
            }
            let contentLength = header("content-length").flatMap { Int($0) } ?? 0
            if header("expect")?.lowercased() == "100-continue" {
                guard sendAll(connection, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
            }
            var body = Array(buffer[(headEnd + 4)...])
            while body.count < contentLength {
                guard let more = receive(connection) else { return nil }
                body += more
            }
            return Request(
                method: String(requestLine[0]),
                path: String(requestLine[1]),
                headers: headers,
                body: String(decoding: body.prefix(contentLength), as: UTF8.self)
            )
        }

        /// Some bytes, or nil once the peer closed or the socket failed.
        private func receive(_ connection: Int32) -> [UInt8]? {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                if count > 0 { return Array(chunk[0..<count]) }
                if count < 0 && errno == EINTR { continue }
                return nil
            }
        }

        /// Sends everything, or gives up quietly when the peer is gone (never raises SIGPIPE).
        @discardableResult
        private func sendAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes.withUnsafeBytes {
                    send(connection, $0.baseAddress! + offset, $0.count - offset, noSignal)
                }
                if sent > 0 {
                    offset += sent
                } else if sent < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }

        private func head(status: Int, headers: [(String, String)], contentLength: Int) -> [UInt8] {
            var lines = ["HTTP/1.1 \(status) \(reasonPhrase(status))"]
            for (name, value) in headers where name.lowercased() != "content-length" && name.lowercased() != "connection" {
                lines.append("\(name): \(value)")
            }
            lines.append("Content-Length: \(contentLength)")
            lines.append("Connection: close")
            return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        }

        private func reasonPhrase(_ status: Int) -> String {
            switch status {
            case 200: "OK"
            case 400: "Bad Request"
            case 401: "Unauthorized"
            case 403: "Forbidden"
            case 404: "Not Found"
            case 429: "Too Many Requests"
            case 500: "Internal Server Error"
            case 502: "Bad Gateway"
            case 503: "Service Unavailable"
            case 504: "Gateway Timeout"
            default: "Status \(status)"
            }
        }
    }
}

// MARK: - Platform differences

#if canImport(Glibc)
private let socketStream = Int32(SOCK_STREAM.rawValue)
/// A client that hung up makes `send` fail with EPIPE instead of killing the test process.
private let noSignal = Int32(MSG_NOSIGNAL)
#else
private let socketStream = SOCK_STREAM
private let noSignal: Int32 = 0  // Darwin has no MSG_NOSIGNAL; accepted sockets set SO_NOSIGPIPE instead.
#endif
