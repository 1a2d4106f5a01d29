import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Asks `tokenvault agent` for a token over its socket: what `tokenvault token` and `tokenvault
/// exec` do when TOKENVAULT_AGENT_SOCK is set, and what an app can do without holding a key.
public enum AgentClient {
    /// The variable that names the agent's socket.
    public static let socketVariable = "TOKENVAULT_AGENT_SOCK"

    /// The socket TOKENVAULT_AGENT_SOCK names, `nil` when it is unset or empty.
    public static var socketFromEnvironment: String? {
        guard let value = getenv(socketVariable), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// Seconds to wait for an answer: the agent may be refreshing over the network.
    public static let answerTimeout = 120

    /// A valid access token for `profile`; with `rejected`, one other than that token (after
    /// the resource server answered 401 to it). Throws `AgentError.answered` with the agent's
    /// code and message, or `.unreachable` when no agent answers.
    public static func token(for profile: String, rejected: Secret? = nil, socket path: String) throws(AgentError) -> Secret {
        let connection = try connect(to: path, timeout: answerTimeout)
        defer { try? connection.close() }
        var request = SecureWriter(capacity: AgentProtocol.requestLimit)
        request.append(public: AgentProtocol.version + (rejected == nil ? " token " : " rejected ") + profile)
        if let rejected {
            request.append(" ")
            request.append(rejected)
        }
        request.append("\n")
        guard request.count <= AgentProtocol.requestLimit else {
            throw .malformedRequest(reason: "the request would exceed \(AgentProtocol.requestLimit) bytes")
        }
        guard SocketIO.writeAll(UnsafeRawBufferPointer(start: request.buffer.base, count: request.count), to: connection) else {
            throw .unreachable(path: path, cause: "the agent closed the connection")
        }
        let buffer: SecureBuffer
        let count: Int
        do {
            (buffer, count) = try SocketIO.readLine(from: connection, limit: AgentProtocol.answerLimit,
                                                    deadline: MonotonicClock.now + Double(answerTimeout))
        } catch {
            switch error {
            case .timedOut: throw .unreachable(path: path, cause: "no answer within \(answerTimeout) s")
            case .tooLong: throw .malformedAnswer(path: path)
            case .closed(let errno):
                throw .unreachable(path: path, cause: errno.map { "\($0)" } ?? "the agent closed the connection before answering")
            }
        }
        let line = UnsafeRawBufferPointer(start: buffer.base, count: count)
        if line.starts(with: "ok ".utf8), count > 3 {
            return Secret(buffer: buffer, range: 3..<count)
        }
        guard line.starts(with: "error ".utf8) else { throw .malformedAnswer(path: path) }
        let rest = String(decoding: line[6...], as: UTF8.self)
        let parts = rest.split(separator: " ", maxSplits: 1)
        guard let first = parts.first, let code = Int32(first) else { throw .malformedAnswer(path: path) }
        // Whatever listens on the socket wrote this: it reaches a terminal only cleaned.
        throw .answered(code: code, message: parts.count > 1 ? PrintableText.clean(String(parts[1])) : "the agent refused")
    }

    /// A connection to the socket at `path`, with send and receive limits of `timeout` seconds.
    static func connect(to path: String, timeout: Int) throws(AgentError) -> FileDescriptor {
        guard let address = UnixSocketAddress(path) else {
            throw .unreachable(path: path, cause: "the path is empty or longer than 107 bytes")
        }
        let socket: FileDescriptor
        do { socket = try UnixSocketAddress.streamSocket() } catch { throw .unreachable(path: path, cause: "\(error)") }
        while true {
            if address.withSocketAddress({ Glibc.connect(socket.rawValue, $0, $1) }) == 0 { break }
            if errno == EINTR { continue }
            let cause = AgentError.errnoText(errno)
            try? socket.close()
            throw .unreachable(path: path, cause: cause)
        }
        SocketIO.setTimeouts(socket, seconds: timeout)
        return socket
    }
}
