internal import CPostgres
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection to a PostgreSQL vault's database, opened on first use and opened again
/// after it is lost (a server restart, `pg_terminate_backend`, a network failure). Statements
/// run one at a time (a lease's renewal runs on another thread): libpq connections are not
/// shared between threads otherwise.
///
/// Every statement is a single auto-committed statement: nothing here holds a transaction open
/// across a round trip, so a process that dies leaves no lock behind in the database.
final class PostgresConnection: Sendable {
    let address: PostgresAddress
    private let logger: Logger
    private let handle = Mutex<Connection?>(nil)

    init(address: PostgresAddress, logger: Logger) {
        self.address = address
        self.logger = logger
    }

    deinit {
        handle.withLock { connection in
            if let pointer = connection?.pointer { try? PostgresLibrary.api.get().pointee.finish(pointer) }
            connection = nil
        }
    }

    /// A libpq connection; only touched under the mutex.
    private struct Connection: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// A statement's parameter: text, or bytes sent as binary (`bytea`).
    enum Parameter {
        case text(String)
        case bytes([UInt8])
    }

    /// What a statement returned: its rows, each column's value in binary form (`nil`: NULL), and
    /// how many rows it changed.
    struct Rows {
        var values: [[[UInt8]?]]
        var affected: Int
    }

    /// Runs `sql` with `parameters` (`$1`, `$2`, …), results in binary. `idempotent` statements
    /// (reads, and writes whose repetition changes nothing) are sent once more on a new
    /// connection when the old one turns out to be lost; others are not, since the first may
    /// have been committed before the connection went.
    func run(_ sql: String, _ parameters: [Parameter] = [], idempotent: Bool) throws(DatabaseFailure) -> Rows {
        let api = try PostgresLibrary.api.get()
        return try handle.withLock { connection throws(DatabaseFailure) -> Rows in
            let fresh = connection == nil
            let pointer = try open(&connection, api: api)
            do throws(DatabaseFailure) {
                return try execute(sql, parameters, on: pointer, api: api)
            } catch {
                guard connectionLost(pointer, api: api) else { throw error }
                api.pointee.finish(pointer)
                connection = nil
                guard idempotent, !fresh else { throw error }
                logger.notice("the database connection was lost; connecting again", metadata: ["vault": "\(address.description)"])
                let again = try open(&connection, api: api)
                return try execute(sql, parameters, on: again, api: api)
            }
        }
    }

    /// Settings that come before the address, so that the address (or PG* variables) can set
    /// each of them otherwise: the application name the administrator sees, and bounds on every
    /// wait, so that a lost network or a stuck server becomes an error instead of a hang.
    static let defaults: [(String, String)] = [
        ("fallback_application_name", "tokenvault"),
        ("connect_timeout", "10"),
        ("keepalives_idle", "10"),
        ("keepalives_interval", "3"),
        ("keepalives_count", "3"),
        ("tcp_user_timeout", "20000"),
        ("options", "-c statement_timeout=15000 -c lock_timeout=10000"),
    ]

    private func open(_ connection: inout Connection?, api: UnsafePointer<tokenvault_pg_api>) throws(DatabaseFailure) -> OpaquePointer {
        if let connection { return connection.pointer }
        let keywords = Self.defaults.map(\.0) + ["dbname"]
        let values = Self.defaults.map(\.1) + [address.connectionString]
        let pointer: OpaquePointer? = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                api.pointee.connectdb_params(keywordPointers, valuePointers, 1)
            }
        }
        guard let pointer else { throw .unavailable("libpq could not allocate a connection") }
        guard api.pointee.status(pointer) == Int32(TOKENVAULT_PG_CONNECTION_OK) else {
            let message = Self.text(api.pointee.error_message(pointer))
            api.pointee.finish(pointer)
            throw DatabaseFailure.connecting(message)
        }
        _ = api.pointee.set_notice_processor(pointer, tokenvault_pg_ignore_notice, nil)
        connection = Connection(pointer: pointer)
        return pointer
    }

    private func connectionLost(_ pointer: OpaquePointer, api: UnsafePointer<tokenvault_pg_api>) -> Bool {
        api.pointee.status(pointer) != Int32(TOKENVAULT_PG_CONNECTION_OK)
    }

    private func execute(
        _ sql: String, _ parameters: [Parameter], on pointer: OpaquePointer, api: UnsafePointer<tokenvault_pg_api>
    ) throws(DatabaseFailure) -> Rows {
        var buffers: [[UInt8]] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .text(let text):
                buffers.append(Array(text.utf8) + [0])
                lengths.append(0)
                formats.append(0)
            case .bytes(let bytes):
                buffers.append(bytes)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        let result: OpaquePointer? = withPointers(to: buffers) { values in
            api.pointee.exec_params(pointer, sql, Int32(parameters.count), nil, values, lengths, formats, 1)
        }
        guard let result else { throw .unavailable(Self.text(api.pointee.error_message(pointer))) }
        defer { api.pointee.clear(result) }
        let status = api.pointee.result_status(result)
        guard status == Int32(TOKENVAULT_PG_COMMAND_OK) || status == Int32(TOKENVAULT_PG_TUPLES_OK) else {
            let state = api.pointee.result_error_field(result, Int32(TOKENVAULT_PG_DIAG_SQLSTATE)).map { String(cString: $0) }
            throw DatabaseFailure.statement(Self.text(api.pointee.result_error_message(result)), state: state)
        }
        var rows: [[[UInt8]?]] = []
        let count = Int(api.pointee.ntuples(result))
        let columns = Int(api.pointee.nfields(result))
        for row in 0..<count {
            rows.append((0..<columns).map { column in
                let (r, c) = (Int32(row), Int32(column))
                if api.pointee.getisnull(result, r, c) != 0 { return nil }
                let length = Int(api.pointee.getlength(result, r, c))
                guard let start = api.pointee.getvalue(result, r, c) else { return [] }
                return [UInt8](UnsafeRawBufferPointer(start: start, count: length))
            })
        }
        let affected = api.pointee.cmd_tuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        return Rows(values: rows, affected: affected)
    }

    /// libpq's message, on one line, without control characters.
    static func text(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "no message" }
        let lines = String(cString: message).split(whereSeparator: \.isNewline)
            .map { $0.drop(while: \.isWhitespace) }.filter { !$0.isEmpty }
        return PrintableText.clean(lines.joined(separator: "; "), limit: 400)
    }
}

/// libpq, loaded (`dlopen`) once, by the first PostgreSQL vault used: CPostgres/shim.h says why
/// it is not linked.
enum PostgresLibrary {
    static let soname = "libpq.so.5"

    struct API: @unchecked Sendable {
        let pointer: UnsafePointer<tokenvault_pg_api>
    }

    static let loaded: Result<API, DatabaseFailure> = {
        let api = UnsafeMutablePointer<tokenvault_pg_api>.allocate(capacity: 1)
        api.initialize(to: tokenvault_pg_api())
        guard tokenvault_pg_load(soname, api) == 0 else {
            let reason = dlerror().map { String(cString: $0) } ?? soname
            api.deallocate()
            return .failure(.noLibrary(PrintableText.clean(reason, limit: 300)))
        }
        return .success(API(pointer: UnsafePointer(api)))
    }()

    static var api: Result<UnsafePointer<tokenvault_pg_api>, DatabaseFailure> { loaded.map(\.pointer) }
}

private func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result) -> Result {
    withPointers(to: strings.map { Array($0.utf8) + [0] }, body)
}

/// `body` with a NULL-terminated array of pointers to each buffer, valid for the call. Each buffer
/// is copied once into memory of its own, since `withUnsafeBufferPointer` scopes cannot be held
/// open for a variable number of arrays.
private func withPointers<Result>(to buffers: [[UInt8]], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result) -> Result {
    var pointers: [UnsafePointer<CChar>?] = []
    var copies: [UnsafeMutableRawBufferPointer] = []
    defer { copies.forEach { $0.deallocate() } }
    for buffer in buffers {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(buffer.count, 1), alignment: 1)
        buffer.withUnsafeBytes { copy.copyMemory(from: $0) }
        copies.append(copy)
        pointers.append(UnsafePointer(copy.baseAddress!.assumingMemoryBound(to: CChar.self)))
    }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
