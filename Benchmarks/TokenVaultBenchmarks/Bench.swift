import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// `tokenvault-bench`: TokenVault's figures against the tools people would use instead, each
/// measured side by side with its reference in the same run. `scripts/bench` builds and runs it.
///
///     tokenvault-bench --tokenvault PATH --tokenvault-static PATH [--age PATH] [--age-keygen PATH]
///                      [--swift-version TEXT] [--folder DIR] [--postgres ADDRESS [--psql PATH]] [--quick]
@main
struct Bench {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "peak-open" where arguments.count == 3:
            exit(peakOpenChild(vault: arguments[1], keyfile: arguments[2]))
        case "peak-idle":
            print(peakResidentKiB())
            exit(0)
        case "loop" where arguments.count == 4:
            // For profilers: one workload alone, e.g. `perf record tokenvault-bench loop open 10000 5`.
            do {
                try await loop(arguments[1], profiles: Int(arguments[2]) ?? 2, seconds: Double(arguments[3]) ?? 5)
                exit(0)
            } catch {
                note("error: \(error)")
                exit(1)
            }
        default:
            break
        }
        do {
            let options = try Options(arguments)
            let report = try await measure(options)
            print(report)
        } catch {
            note("error: \(error)")
            exit(1)
        }
    }

    struct Options {
        var tokenvault = ""
        var tokenvaultStatic = ""
        var age = "/usr/bin/age"
        var ageKeygen = "/usr/bin/age-keygen"
        var swiftVersion = "unknown"
        var folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var quick = false
        /// A PostgreSQL database (libpq address, password from PGPASSFILE) for the PostgreSQL store's figures.
        var postgres: String?
        /// psql of the same PostgreSQL, for the reference of `tokenvault token` on a PostgreSQL vault.
        var psql: String?

        init(_ arguments: [String]) throws {
            var rest = arguments[...]
            while let flag = rest.popFirst() {
                if flag == "--quick" { quick = true; continue }
                guard let value = rest.popFirst() else { throw BenchError("\(flag) needs a value") }
                switch flag {
                case "--tokenvault": tokenvault = value
                case "--tokenvault-static": tokenvaultStatic = value
                case "--age": age = value
                case "--age-keygen": ageKeygen = value
                case "--swift-version": swiftVersion = value
                case "--folder": folder = value
                case "--postgres": postgres = value
                case "--psql": psql = value
                default: throw BenchError("unknown option \(flag)")
                }
            }
            guard !tokenvault.isEmpty, !tokenvaultStatic.isEmpty else {
                throw BenchError("usage: tokenvault-bench --tokenvault PATH --tokenvault-static PATH [--age PATH] [--age-keygen PATH] [--swift-version TEXT] [--folder DIR] [--postgres ADDRESS [--psql PATH]] [--quick]")
            }
        }

        /// Full counts, or about a tenth with --quick (for trying changes, not for quoting).
        func count(_ full: Int, minimum: Int = 3) -> Int { quick ? max(minimum, full / 10) : full }
    }

    /// Progress and problems, on stderr; the report alone goes to stdout.
    static func note(_ text: String) {
        var line = "tokenvault-bench: \(text)\n"
        line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func measure(_ options: Options) async throws -> String {
        var figures: [Figure] = []
        let started = now()

        // Whole processes: `tokenvault token` (both builds) against `age -d` of the same token JSON.
        note("whole-process: tokenvault token vs age -d")
        let pair = try Fixture(profiles: 2, in: options.folder)
        let ageKey = pair.folder + "/age-key.txt", ageFile = pair.folder + "/token.age", plain = pair.folder + "/token.json"
        try run(options.ageKeygen, ["-o", ageKey])
        let recipient = try run(options.ageKeygen, ["-y", ageKey]).split(separator: "\n").first.map(String.init) ?? ""
        try writeFile(plain, pair.texts[0].plaintextJSON)
        try run(options.age, ["-r", recipient, "-o", ageFile, plain])
        unlink(plain)
        for cli in [options.tokenvault, options.tokenvaultStatic] {
            guard try run(cli, ["token", "p0"], environment: pair.environment) == pair.texts[0].accessToken + "\n" else {
                throw BenchError("\(cli) token p0 did not print the stored token")
            }
        }
        guard try run(options.age, ["-d", "-i", ageKey, ageFile]) == pair.texts[0].plaintextJSON else {
            throw BenchError("age -d did not give back the token JSON")
        }
        // Each build against age in a loop of its own, the two swapped in every iteration.
        let age = Command(options.age, ["-d", "-i", ageKey, ageFile], environment: pair.environment, label: "age -d")
        let processIterations = options.count(200, minimum: 20)
        var ageMedian = 0.0
        for (cli, build) in [(options.tokenvaultStatic, "static stdlib"), (options.tokenvault, "dynamic stdlib")] {
            let token = Command(cli, ["token", "p0"], environment: pair.environment)
            let samples = try measureProcesses([token, age], warmup: 20, iterations: processIterations)
            let relative = samples[0].median / samples[1].median
            ageMedian = samples[1].median
            figures.append(Figure(
                name: "tokenvault token p0, \(build) (process)", median: duration(samples[0].median),
                p90: duration(samples[0].p90), reference: "age -d, same token JSON: \(duration(samples[1].median))",
                ratio: ratio(relative), target: "≤ 1.00× (goal 0.75×)",
                result: Figure.verdict(relative <= 1.0) + (relative <= 0.75 ? " (goal met)" : " (goal missed)")
            ))
        }
        let floor = try measureProcesses(
            [Command("/bin/true", [], environment: pair.environment)], warmup: 5, iterations: options.count(100, minimum: 20)
        )[0]
        figures.append(Figure(
            name: "  process floor: /bin/true", median: duration(floor.median), p90: duration(floor.p90),
            reference: "", ratio: ratio(floor.median / ageMedian), target: "", result: "(context: vs the last age -d)"
        ))

        note("in-process: accessToken(for:), open, re-seal (2 profiles)")
        let (token, stat) = try await measureAccessToken(pair, profile: "p0", calls: options.count(20_000))
        figures.append(Figure(
            name: "accessToken(for:), valid cached token", median: duration(token.median), p90: duration(token.p90),
            reference: "lstat of the vault: \(duration(stat.median))", ratio: ratio(token.median / stat.median),
            target: "≤ 2 µs", result: Figure.verdict(token.median <= 2e-6)
        ))
        let (open, plaintext) = try await measureOpen(pair, iterations: options.count(2000))
        figures.append(Figure(
            name: "open vault, 2 profiles", median: duration(open.median), p90: duration(open.p90),
            reference: "plaintext JSON + JSONDecoder: \(duration(plaintext.median))",
            ratio: ratio(open.median / plaintext.median), target: "≤ 200 µs", result: Figure.verdict(open.median <= 200e-6)
        ))
        let (reseal, bare) = try await measureReseal(pair, iterations: options.count(100, minimum: 10))
        figures.append(resealFigure(profiles: 2, reseal, bare, size: pair.vaultSize))

        // Growth, 1 to 10,000 profiles; the 10,000 row also gives the large-vault figures.
        var rows: [GrowthRow] = []
        for count in [1, 10, 100, 1000, 10_000] {
            note("growth: \(grouped(count)) profiles")
            let fixture = try Fixture(profiles: count, in: options.folder)
            let (open, plaintext) = try await measureOpen(fixture, iterations: options.count(max(10, min(500, 50_000 / count))))
            let (reseal, bare) = try await measureReseal(fixture, iterations: options.count(max(10, min(40, 4000 / count)), minimum: 5))
            let cli = Command(options.tokenvaultStatic, ["token", "p0"], environment: fixture.environment)
            let cliSamples = try measureProcesses([cli], warmup: 3, iterations: options.count(count >= 10_000 ? 15 : 40, minimum: 5))[0]
            let (cached, _) = try await measureAccessToken(fixture, profile: "p0", calls: options.count(2000))
            let peak = try measurePeakMemory(fixture, runs: 3)
            rows.append(GrowthRow(
                profiles: count, vaultSize: fixture.vaultSize, open: open.median, plaintext: plaintext.median,
                reseal: reseal.median, bareWrite: bare.median, tokenCLI: cliSamples.median,
                accessToken: cached.median, peakKiB: peak.open
            ))
            if count == 10_000 {
                figures.append(Figure(
                    name: "open vault, 10,000 profiles", median: duration(open.median), p90: duration(open.p90),
                    reference: "plaintext JSON + JSONDecoder: \(duration(plaintext.median))",
                    ratio: ratio(open.median / plaintext.median), target: "≤ 30 ms", result: Figure.verdict(open.median <= 30e-3)
                ))
                let size = fixture.vaultSize
                let limit = 3 * size + 20 * 1024 * 1024
                figures.append(Figure(
                    name: "peak RSS opening 10,000 profiles (process)", median: bytes(peak.open * 1024), p90: "",
                    reference: "vault \(bytes(size)); idle process \(bytes(peak.idle * 1024))",
                    ratio: ratio(Double(peak.open * 1024) / Double(size)), target: "≤ 3×size+20 MiB = \(bytes(limit))",
                    result: Figure.verdict(peak.open * 1024 <= limit)
                ))
                figures.append(resealFigure(profiles: 10_000, reseal, bare, size: size))
            }
        }

        // Racing processes on one expired token against a loopback token endpoint.
        note("32 processes on one expired token")
        let endpoint = try TokenEndpoint(latency: 0.020)
        defer { endpoint.stop() }
        var roundTrips = Samples()
        for _ in 0..<options.count(40, minimum: 10) {
            roundTrips.add(try socketRoundTrip(port: endpoint.port, refreshTokenLength: ProfileText.refreshTokenLength))
        }
        let racing = try Fixture(profiles: 2, in: options.folder, endpoint: endpoint.tokenURL, expired: true)
        let budget = roundTrips.median + 0.150
        for (cli, build) in [(options.tokenvaultStatic, "static stdlib"), (options.tokenvault, "dynamic stdlib")] {
            var walls = Samples()
            var problems: [String] = []
            let rounds = options.count(7, minimum: 3)
            for round in 0..<rounds {
                let result = try race(cli, fixture: racing, endpoint: endpoint, processes: 32, round: round)
                walls.add(result.seconds)
                if let problem = result.problem { problems.append("round \(round + 1): \(problem)") }
            }
            for problem in problems { note("\(build): \(problem)") }
            let correct = problems.isEmpty
            figures.append(Figure(
                name: "32 × token on an expired token, \(build)", median: duration(walls.median), p90: duration(walls.p90),
                reference: "round trip (bare socket): \(duration(roundTrips.median))",
                ratio: ratio(walls.median / roundTrips.median), target: "≤ RTT+150 ms = \(duration(budget))",
                result: Figure.verdict(correct && walls.median <= budget)
                    + (correct ? " (\(rounds)/\(rounds) rounds: 1 request, 32/32 same token)" : " (\(problems.count)/\(rounds) rounds wrong)")
            ))
        }

        if let address = options.postgres {
            figures += try await postgresFigures(options, address: address, filePair: pair, age: age, endpoint: endpoint, roundTrip: roundTrips.median)
        }

        figures += try agentFigures(options, age: age)

        let machine = Machine(benchFolder: options.folder)
        var out: [String] = []
        out.append("TokenVault benchmarks, \(machine.date)\(options.quick ? " (--quick: counts cut to a tenth, not for quoting)" : "")")
        out.append("")
        out.append(Figure.header.line)
        out.append(contentsOf: figures.map(\.line))
        out.append("")
        out.append("Growth (static-stdlib CLI; medians; re-seal ratio = re-seal / bare write+fsync+rename+folder fsync of the same bytes):")
        out.append("")
        out.append(table(GrowthRow.header, rows.map(\.cells)))
        out.append("")
        out.append("Profiles: \(ProfileText.accessTokenLength)-byte access token, \(ProfileText.refreshTokenLength)-byte refresh token, endpoint, client id, scope, resource.")
        out.append("Whole-process figures: each build paired with age -d, \(processIterations) iterations after 20 warm-up runs, the two swapped in every iteration; spawned with posix_spawn, reaped with wait4, stdout to /dev/null.")
        if options.postgres != nil {
            out.append("PostgreSQL: a private cluster on loopback TCP (scram-sha-256, fsync off) on this machine; the static-stdlib build, whose front hands a PostgreSQL vault to tokenvault-cli; 3 hosts = 3 HOME folders and application names, each process its own connection.")
        }
        out.append("Racing: the token endpoint answers after \(duration(endpoint.latency)); its round trip is measured with a bare socket (connect, same-size request, whole answer), so the 150 ms budget is all of tokenvault's own cost.")
        out.append("")
        out.append("Machine: \(machine.processors) CPUs (nproc), \(machine.cpu) (/proc/cpuinfo model name), \(machine.memory) RAM")
        out.append("Kernel: \(machine.kernel); bench folder \(options.folder) on \(machine.fileSystem)")
        out.append("Swift: \(options.swiftVersion)")
        out.append("Run took \(duration(now() - started)).")
        return out.joined(separator: "\n")
    }

    /// Runs one workload (`open`, `reseal`, `access`) for about `seconds`.
    static func loop(_ workload: String, profiles: Int, seconds: Double) async throws {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let fixture = try Fixture(profiles: profiles, in: folder)
        let manager = TokenManager(store: fixture.store)
        let access = Secret(copying: randomToken(ProfileText.accessTokenLength))
        let refresh = Secret(copying: randomToken(ProfileText.refreshTokenLength))
        let deadline = now() + seconds
        var rounds = 0
        var reads = Samples()
        while now() < deadline {
            switch workload {
            case "open":
                // The snapshot is let go inside the timed closure, as a reader lets it go.
                reads.add(try timed { _ = try fixture.store.read() })
            case "reseal": try fixture.rotate("p0", accessToken: access, refreshToken: refresh)
            case "access": for _ in 0..<1000 { _ = try await manager.accessToken(for: "p0") }
            default: throw BenchError("workloads: open, reseal, access")
            }
            rounds += 1
        }
        note("\(workload): \(rounds) rounds, \(duration(seconds / Double(rounds))) each"
            + (reads.count > 0 ? "; read() alone: median \(duration(reads.median))" : ""))
    }

    static func resealFigure(profiles: Int, _ reseal: Samples, _ bare: Samples, size: Int) -> Figure {
        let relative = reseal.median / bare.median
        return Figure(
            name: "re-seal after one rotation, \(grouped(profiles)) profiles", median: duration(reseal.median),
            p90: duration(reseal.p90), reference: "bare durable write, \(bytes(size)): \(duration(bare.median))",
            ratio: ratio(relative), target: "≤ 1.50×", result: Figure.verdict(relative <= 1.5)
        )
    }
}
