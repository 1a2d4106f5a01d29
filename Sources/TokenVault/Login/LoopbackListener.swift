#if canImport(Glibc)
import Glibc
#endif

/// The redirect target of a sign-in (RFC 8252 §7.3): a TCP socket on 127.0.0.1, on a port the
/// kernel picks. It serves one callback: requests for other paths (a browser's favicon) get 404
/// and are ignored; the first request for the callback path is answered with a short page and
/// then the socket is closed, so a second callback finds nothing listening. Only processes of
/// this machine can connect; the `state` check is what ties the callback to this sign-in.
final class LoopbackListener {
    private var descriptor: Int32
    /// The port the kernel gave.
    let port: Int

    /// A page to answer the callback with.
    struct Page {
        let status: Int
        let text: String
    }

    /// Binds 127.0.0.1 on an ephemeral port; listens when `listening` (else the port is only
    /// held, so that the redirect URI names a port nothing else takes and a browser finds it
    /// closed).
    init(listening: Bool) throws(LoginError) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw .listener("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && (!listening || listen(socket, 16) == 0)
                    && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else {
            let problem = String(cString: strerror(errno))
            close(socket)
            throw .listener(problem)
        }
        descriptor = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { stop() }

    /// Closes the socket: later connections are refused.
    func stop() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    /// Waits until `deadline` for a request to `path`, answers it with `answer`'s page, stops
    /// listening and returns the request's redirect. A request to `path` without a query is
    /// handed over as a redirect without one (`nil` members).
    func awaitCallback(
        path: String, deadline: ContinuousClock.Instant, timeoutSeconds: Int,
        answer: (AuthorizationRedirect?) -> Page
    ) throws(LoginError) -> AuthorizationRedirect? {
        defer { stop() }
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw .timedOut(seconds: timeoutSeconds) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: Int64((remaining / .milliseconds(1)).rounded(.up)))
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .listener("poll: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            let connection = accept(descriptor, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            defer { close(connection) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            // One budget for the whole request line: 5 s, and never past the sign-in's deadline
            // (SO_RCVTIMEO alone restarts with every byte, so a client trickling one byte at a
            // time would hold the listener for hours).
            let budget = min(ContinuousClock.now + .seconds(5), deadline)
            guard let request = Self.readHead(connection, until: budget) else { continue }
            let (target, targetPath) = request.withUnsafeBytes { Self.target(of: $0) }
            guard targetPath == path, let target else {
                Self.respond(connection, Page(status: 404, text: "Not found."))
                continue
            }
            let redirect = target.withUnsafeBytes { AuthorizationRedirect($0) }
            Self.respond(connection, answer(redirect))
            return redirect
        }
    }

    /// The request line and headers, at most 16 KiB, in guarded memory; `nil` when the
    /// connection ends first or has not sent its request line by `deadline`.
    private static func readHead(_ connection: Int32, until deadline: ContinuousClock.Instant) -> Secret? {
        let buffer = SecureBuffer(count: 16 * 1024)
        var count = 0
        while count < buffer.count {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return nil }
            var poller = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: Int64((remaining / .milliseconds(1)).rounded(.up))))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return nil }
            let received = recv(connection, buffer.base + count, buffer.count - count, Int32(MSG_DONTWAIT))
            if received < 0, errno == EINTR || errno == EAGAIN { continue }
            guard received > 0 else { return nil }
            count += received
            let head = UnsafeRawBufferPointer(start: buffer.base, count: count)
            if head.firstIndex(of: UInt8(ascii: "\n")) != nil { return Secret(buffer: buffer, range: 0..<count) }
        }
        return Secret(buffer: buffer, range: 0..<count)
    }

    /// The request target of a `GET` request line (in guarded memory), and its path.
    private static func target(of head: UnsafeRawBufferPointer) -> (Secret?, String) {
        let line = head.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? head[...]
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].elementsEqual("GET".utf8) else { return (nil, "") }
        let target = UnsafeRawBufferPointer(rebasing: parts[1])
        let pathEnd = target.firstIndex(of: UInt8(ascii: "?")) ?? target.count
        return (Secret(copying: target), String(decoding: target[..<pathEnd], as: UTF8.self))
    }

    private static func respond(_ connection: Int32, _ page: Page) {
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found"][page.status] ?? "Error"
        let body = "<!doctype html><meta charset=\"utf-8\"><title>TokenVault</title><p>\(page.text)</p>\n"
        let response = "HTTP/1.1 \(page.status) \(reason)\r\nContent-Type: text/html; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n"
            + "Connection: close\r\n\r\n" + body
        var bytes = Array(response.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeMutableBytes { send(connection, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            sent += written
        }
    }
}
