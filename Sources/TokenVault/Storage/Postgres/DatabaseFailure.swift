/// Why a PostgreSQL vault's database could not be used, with libpq's or the server's message
/// (which never holds the password: libpq does not repeat it, and no statement carries a token).
public enum DatabaseFailure: Error, Sendable, Equatable {
    /// Not reachable or not answering for now: connection refused or timed out, the server
    /// starting up or shutting down, the connection lost mid-statement, a statement or lock
    /// timeout. Trying again later may work.
    case unavailable(String)
    /// Reached, but it refuses this client as configured: authentication failed, a missing
    /// privilege, an unknown database or role, TLS required or not verifiable.
    case refused(String)
    /// The database has no TokenVault tables yet.
    case notInitialized(String)
    /// libpq (`libpq.so.5`) could not be loaded.
    case noLibrary(String)

    /// A failed connection attempt. libpq gives no SQLSTATE for those: its message tells a
    /// server that refuses this client from one that cannot be reached.
    static func connecting(_ message: String) -> DatabaseFailure {
        let lowered = message.lowercased()
        let refusals = [
            "authentication failed", "no password supplied", "does not exist", "permission denied",
            "not permitted to log in", "no pg_hba.conf entry", "certificate", "ssl", "invalid sslmode",
            "invalid connection option", "invalid uri", "invalid integer value",
            "password is required",
        ]
        // "the database system is starting up / shutting down / in recovery" is a passing state.
        if lowered.contains("the database system is") || lowered.contains("too many clients") { return .unavailable(message) }
        return refusals.contains(where: lowered.contains) ? .refused(message) : .unavailable(message)
    }

    /// A statement the server refused, by its SQLSTATE.
    static func statement(_ message: String, state: String?) -> DatabaseFailure {
        guard let state else { return .unavailable(message) }
        if state == "42P01" { return .notInitialized(message) }
        // Connection exceptions, operator intervention (shutdown, restart), insufficient
        // resources, serialization failures and deadlocks, lock and statement timeouts.
        let passing = ["08", "57", "53", "40", "55P03", "57014", "58"]
        return passing.contains(where: state.hasPrefix) ? .unavailable(message) : .refused(message)
    }

    /// libpq's or the server's message.
    public var message: String {
        switch self {
        case .unavailable(let message), .refused(let message), .notInitialized(let message), .noLibrary(let message):
            return message
        }
    }
}
