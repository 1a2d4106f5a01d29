import TokenVault
#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    /// The PostgreSQL store's figures, each beside the file store's: `accessToken(for:)` on a
    /// valid cached token, `tokenvault token` as a whole process, and 24 processes on 3 "hosts"
    /// racing on one expired token. `address` is the database (the password from PGPASSFILE).
    static func postgresFigures(
        _ options: Options, address: String, filePair: Fixture, age: Command, endpoint: TokenEndpoint, roundTrip: Double
    ) async throws -> [Figure] {
        var figures: [Figure] = []
        let separator = address.contains("?") ? "&" : "?"
        let pair = try Fixture(profiles: 2, in: options.folder, postgres: address + separator + "vault=bench-pair-\(getpid())")
        guard try run(options.tokenvaultStatic, ["token", "p0"], environment: pair.environment) == pair.texts[0].accessToken + "\n" else {
            throw BenchError("tokenvault token p0 on the PostgreSQL vault did not print the stored token")
        }

        note("PostgreSQL: accessToken(for:)")
        let (cached, _) = try await measureAccessToken(pair, profile: "p0", calls: options.count(20_000))
        let (fileCached, _) = try await measureAccessToken(filePair, profile: "p0", calls: options.count(20_000))
        figures.append(Figure(
            name: "accessToken(for:), valid cached, PostgreSQL", median: duration(cached.median), p90: duration(cached.p90),
            reference: "file vault: \(duration(fileCached.median))", ratio: ratio(cached.median / fileCached.median),
            target: "≤ 2 µs", result: Figure.verdict(cached.median <= 2e-6)
        ))

        // What any client process must at least do before it can print a value from the database:
        // start, connect (TCP, scram-sha-256) and run one statement: psql doing that is the reference.
        note("PostgreSQL: tokenvault token vs psql, the file vault and age -d")
        let pgToken = Command(options.tokenvaultStatic, ["token", "p0"], environment: pair.environment, label: "token (PostgreSQL)")
        let fileToken = Command(options.tokenvaultStatic, ["token", "p0"], environment: filePair.environment, label: "token (file)")
        var commands = [pgToken, fileToken, age]
        if let psql = options.psql {
            commands.append(Command(psql, ["-X", "-q", "-A", "-t", "-c", "SELECT 1", address], environment: pair.environment, label: "psql"))
        }
        let samples = try measureProcesses(commands, warmup: 10, iterations: options.count(200, minimum: 20))
        let reference = options.psql == nil ? nil : samples[3].median
        figures.append(Figure(
            name: "tokenvault token p0, PostgreSQL (process)", median: duration(samples[0].median), p90: duration(samples[0].p90),
            reference: reference.map { "psql -c 'SELECT 1': \(duration($0))" } ?? "no psql",
            ratio: reference.map { ratio(samples[0].median / $0) } ?? "",
            target: "≤ 1.25× psql", result: reference.map { Figure.verdict(samples[0].median <= 1.25 * $0) } ?? "not measured"
        ))
        figures.append(Figure(
            name: "  the same, file vault / age -d", median: duration(samples[1].median), p90: duration(samples[1].p90),
            reference: "age -d: \(duration(samples[2].median))", ratio: ratio(samples[0].median / samples[1].median),
            target: "", result: "(context: ratio = PostgreSQL ÷ file)"
        ))

        note("PostgreSQL: 24 processes on 3 hosts on one expired token")
        let racing = try Fixture(profiles: 2, in: options.folder, endpoint: endpoint.tokenURL, expired: true,
                                 postgres: address + separator + "vault=bench-race-\(getpid())")
        let budget = roundTrip + 0.250
        var walls = Samples()
        var problems: [String] = []
        let rounds = options.count(7, minimum: 3)
        for round in 0..<rounds {
            let result = try race(options.tokenvaultStatic, fixture: racing, endpoint: endpoint, processes: 24, round: round, hosts: 3)
            walls.add(result.seconds)
            if let problem = result.problem { problems.append("round \(round + 1): \(problem)") }
        }
        for problem in problems { note("PostgreSQL race: \(problem)") }
        let correct = problems.isEmpty
        figures.append(Figure(
            name: "24 × token on 3 hosts, expired, PostgreSQL", median: duration(walls.median), p90: duration(walls.p90),
            reference: "round trip (bare socket): \(duration(roundTrip))",
            ratio: ratio(walls.median / roundTrip), target: "≤ RTT+250 ms = \(duration(budget))",
            result: Figure.verdict(correct && walls.median <= budget)
                + (correct ? " (\(rounds)/\(rounds) rounds: 1 request, 24/24 same token)" : " (\(problems.count)/\(rounds) rounds wrong)")
        ))
        return figures
    }
}
