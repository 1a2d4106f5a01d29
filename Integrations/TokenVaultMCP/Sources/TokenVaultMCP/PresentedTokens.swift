import TokenVault

/// Which token each request presented and how many 401s it has had, so that a 401 rejects the
/// token that request sent (not one that a concurrent request's refresh has put in its place
/// since), and a request is retried after one 401 only.
///
/// `HTTPClientTransport` sends each request from its own task and calls `prepareAuthorization`
/// once at its start, then `authorizationHeader(for:)` and `handleChallenge(…)` for each attempt,
/// all from that task, so the current task identifies the request.
/// Entries of requests that never see a 401 are dropped oldest first beyond `capacity`.
struct PresentedTokens {
    /// What one request presented, and how many challenges it has had.
    struct Entry {
        var token: Secret?
        var challenges = 0
    }

    private var entries: [Int: Entry] = [:]
    private var order: [Int] = []
    let capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    /// The current task's key, or `nil` outside a task.
    static var currentTask: Int? {
        withUnsafeCurrentTask { $0?.hashValue }
    }

    /// Starts a new request in `task`: a finished task's key may come back with a later one.
    mutating func begin(for task: Int) {
        if entries[task] == nil { order.append(task) }
        entries[task] = Entry()
        trim()
    }

    /// Notes that the request of `task` presents `token` (keeping its count of challenges).
    mutating func record(_ token: Secret?, for task: Int) {
        if entries[task] == nil { order.append(task) }
        entries[task, default: Entry()].token = token
        trim()
    }

    /// Counts a challenge to the request of `task` and returns what it presented and how many
    /// challenges it had before this one.
    mutating func challenge(for task: Int) -> Entry {
        if entries[task] == nil { order.append(task) }
        let before = entries[task, default: Entry()]
        entries[task]?.challenges += 1
        return before
    }

    private mutating func trim() {
        while order.count > capacity {
            entries[order.removeFirst()] = nil
        }
    }

    /// How many requests are remembered.
    var count: Int { entries.count }
}
