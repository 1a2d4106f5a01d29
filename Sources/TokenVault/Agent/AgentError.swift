#if canImport(Glibc)
import Glibc
#endif

/// What can go wrong between an app and `tokenvault agent`, on either side of the socket. The
/// command maps each case to its exit code; messages name the socket or the profile, never a token.
public enum AgentError: Error, CustomStringConvertible, Sendable {
    /// The request line is not `tokenvault-agent/1 token PROFILE` or `… rejected PROFILE TOKEN`.
    case malformedRequest(reason: String)
    /// The request line is longer than `AgentProtocol.requestLimit`.
    case requestTooLarge(limit: Int)
    /// No complete request line within `AgentProtocol.requestDeadline` seconds.
    case requestTimedOut(seconds: Int)
    /// The peer's user and groups are not allowed this profile.
    case refused(profile: String, uid: UInt32, gid: UInt32)
    /// Nothing answers on the socket (no agent, a stopped agent, a socket this user may not
    /// reach), or the agent closed the connection before its answer was complete.
    case unreachable(path: String, cause: String)
    /// The agent answered something that is not `ok TOKEN` or `error CODE MESSAGE`.
    case malformedAnswer(path: String)
    /// The agent answered `error CODE MESSAGE`: what the command would have exited with.
    case answered(code: Int32, message: String)
    /// The agent could not set up its socket.
    case cannotListen(path: String, cause: String)
    /// The socket's folder is another user's or writable by group or others.
    case unsafeSocketFolder(path: String, reason: String)
    /// An `--allow` entry that names an unknown user or group, or is not `WHO:PROFILE[,PROFILE…]`.
    case badAllowEntry(entry: String, reason: String)

    public var description: String {
        switch self {
        case .malformedRequest(let reason): return "malformed request: \(reason)"
        case .requestTooLarge(let limit): return "request longer than \(limit) bytes"
        case .requestTimedOut(let seconds): return "no complete request within \(seconds) s"
        case .refused(let profile, let uid, let gid):
            return "the agent does not serve profile '\(profile)' to uid \(uid) (gid \(gid)): not in its --allow list"
        case .unreachable(let path, let cause): return "no tokenvault agent answers on \(path): \(cause)"
        case .malformedAnswer(let path): return "the agent on \(path) answered something that is not tokenvault-agent/1"
        case .answered(_, let message): return message
        case .cannotListen(let path, let cause): return "cannot listen on \(path): \(cause)"
        case .unsafeSocketFolder(let path, let reason): return "the agent's socket folder \(path) \(reason)"
        case .badAllowEntry(let entry, let reason): return "--allow \(entry): \(reason)"
        }
    }

    static func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
