import Dispatch
import Logging
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// `tokenvault agent`'s service: answers each connection on its own thread, checks the peer
/// (`SO_PEERCRED`) against the allow list, and serves access tokens through one `TokenManager`,
/// so refreshes happen once across processes and are sealed before they are served. It never
/// answers with a refresh token or the key, and logs no token.
public final class AgentServer: Sendable {
    let listener: AgentListener
    let tokens: TokenManager
    let allowList: AgentAllowList
    let logger: Logger
    /// The exit code and one-line message for an error, as the command would report it.
    let describe: @Sendable (any Error) -> (code: Int32, message: String)

    public init(
        listener: AgentListener, tokens: TokenManager, allowList: AgentAllowList, logger: Logger,
        describe: @escaping @Sendable (any Error) -> (code: Int32, message: String)
    ) {
        self.listener = listener
        self.tokens = tokens
        self.allowList = allowList
        self.logger = logger
        self.describe = describe
    }

    /// Accepts connections until the listening socket fails.
    public func serve() throws(Errno) -> Never {
        while true {
            let connection = try listener.accept()
            let started = DetachedThread.start { [self] in answer(connection) }
            if !started {
                logger.warning("cannot start a thread for a connection; closed it")
                try? connection.close()
            }
        }
    }

    /// Every `interval` seconds, refreshes the profiles the allow list names that are inside
    /// their refresh margin, so that callers are answered without waiting for the network.
    public func startRefreshingAhead(every interval: Double) {
        let profiles = allowList.namedProfiles.sorted()
        guard !profiles.isEmpty else { return }
        DetachedThread.start { [self] in
            while true {
                usleep(useconds_t(interval * 1_000_000))
                for profile in profiles {
                    do {
                        _ = try wait { try await self.tokens.accessToken(for: profile) }
                    } catch {
                        logger.debug("background refresh failed", metadata: ["profile": "\(profile)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    func answer(_ connection: FileDescriptor) {
        defer { try? connection.close() }
        SocketIO.setTimeouts(connection, seconds: AgentProtocol.requestDeadline)
        let peer: PeerCredentials
        do {
            peer = try PeerCredentials(of: connection)
        } catch {
            logger.warning("cannot identify a peer; closed the connection", metadata: ["error": "\(error)"])
            return
        }
        do {
            let request = try readRequest(connection)
            guard allowList.allows(peer, profile: request.profile) else {
                logger.warning("refused a peer a profile not in --allow", metadata: [
                    "profile": "\(request.profile)", "uid": "\(peer.uid)", "gid": "\(peer.gid)", "pid": "\(peer.pid)",
                ])
                throw AgentError.refused(profile: request.profile, uid: peer.uid, gid: peer.gid)
            }
            let token = try self.token(for: request)
            var line = SecureWriter(capacity: token.utf8.count + 8)
            line.append("ok ")
            line.append(public: token)
            line.append("\n")
            SocketIO.writeAll(UnsafeRawBufferPointer(start: line.buffer.base, count: line.count), to: connection)
            logger.info("served a token", metadata: ["profile": "\(request.profile)", "uid": "\(peer.uid)", "pid": "\(peer.pid)"])
        } catch SocketIO.LineFailure.closed {
            logger.debug("a peer left before its request was complete", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)"])
        } catch {
            if let error = error as? AgentError, case .refused = error {} else if error is AgentError {
                logger.warning("answered a bad request with an error", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)", "error": "\(error)"])
            }
            let (code, message) = describe(error)
            SocketIO.writeAll(AgentProtocol.errorAnswer(code: code, message: message), to: connection)
            finish(connection)
        }
    }

    private func readRequest(_ connection: FileDescriptor) throws -> AgentProtocol.Request {
        let deadline = MonotonicClock.now + Double(AgentProtocol.requestDeadline)
        do {
            let (buffer, count) = try SocketIO.readLine(from: connection, limit: AgentProtocol.requestLimit, deadline: deadline)
            return try AgentProtocol.parse(buffer, count: count)
        } catch SocketIO.LineFailure.tooLong {
            throw AgentError.requestTooLarge(limit: AgentProtocol.requestLimit)
        } catch SocketIO.LineFailure.timedOut {
            throw AgentError.requestTimedOut(seconds: AgentProtocol.requestDeadline)
        }
    }

    /// After an error answer: no more writes, and what the peer still sends is read away briefly,
    /// so that closing does not reset the connection before the answer is read.
    private func finish(_ connection: FileDescriptor) {
        shutdown(connection.rawValue, Int32(SHUT_WR))
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let deadline = MonotonicClock.now + 0.2
        var drained = 0
        while drained < 64 * 1024, MonotonicClock.now < deadline {
            var watched = pollfd(fd: connection.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&watched, 1, 50) > 0 else { continue }
            let got = withUnsafeMutableBytes(of: &scratch) { recv(connection.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if got <= 0 { return }
            drained += got
        }
    }

    private func token(for request: AgentProtocol.Request) throws -> String {
        switch request {
        case .token(let profile):
            if let token = try tokens.accessTokenWithoutRefresh(for: profile) { return token }
            return try wait { try await self.tokens.accessToken(for: profile) }
        case .rejected(let profile, let rejected):
            return try wait { try await self.tokens.accessToken(for: profile, rejected: rejected.unsafeStringValue()) }
        }
    }

    private final class Outcome: Sendable {
        let result = Mutex<Result<String, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    /// Runs `body` on the concurrency runtime and waits for it on this (connection) thread.
    private func wait(_ body: @escaping @Sendable () async throws -> String) throws -> String {
        let outcome = Outcome()
        Task {
            let result: Result<String, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.result.withLock { $0 = result }
            outcome.done.signal()
        }
        outcome.done.wait()
        return try outcome.result.withLock { $0! }.get()
    }
}
