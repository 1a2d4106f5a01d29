#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// Whole processes, alternated within every iteration (in a rotating order) so that the
/// machine's noise falls on each of them alike.
func measureProcesses(_ commands: [Command], warmup: Int, iterations: Int) throws -> [Samples] {
    var samples = [Samples](repeating: Samples(), count: commands.count)
    for iteration in 0..<(warmup + iterations) {
        for offset in commands.indices {
            let index = (iteration + offset) % commands.count
            let (seconds, exit) = try commands[index].time()
            guard exit.succeeded else { throw BenchError("\(commands[index].label) failed (wait status \(exit.status))") }
            if iteration >= warmup { samples[index].add(seconds) }
        }
    }
    return samples
}

/// Times `first` and `second` one after the other, `warmup` + `iterations` times each, the
/// order swapped in every iteration so that the machine's noise falls on both alike; keeps the
/// timings after the warm-up. Each body gets the iteration's number and returns its seconds.
func alternate(
    iterations: Int, warmup: Int,
    _ first: (Int) async throws -> Double, _ second: (Int) async throws -> Double
) async rethrows -> (Samples, Samples) {
    var firsts = Samples(), seconds = Samples()
    for iteration in 0..<(warmup + iterations) {
        for half in 0..<2 {
            if (iteration + half) % 2 == 0 {
                let elapsed = try await first(iteration)
                if iteration >= warmup { firsts.add(elapsed) }
            } else {
                let elapsed = try await second(iteration)
                if iteration >= warmup { seconds.add(elapsed) }
            }
        }
    }
    return (firsts, seconds)
}

/// `accessToken(for:)` on a valid cached token, call by call, against a bare `lstat` of the
/// vault (the floor of its "did another process change the vault" check), alternated.
func measureAccessToken(_ fixture: Fixture, profile: String, calls: Int) async throws -> (token: Samples, stat: Samples) {
    let manager = TokenManager(store: fixture.store)
    var length = 0
    for _ in 0..<1000 { length &+= try await manager.accessToken(for: profile).utf8.count }
    var status = stat()
    let path = fixture.vaultPath
    let (token, reference) = try await alternate(iterations: calls, warmup: 0, { _ in
        let start = now()
        let text = try await manager.accessToken(for: profile)
        length &+= text.utf8.count
        return now() - start
    }, { _ in
        let start = now()
        let result = path.withCString { lstat($0, &status) }
        length &+= Int(result)
        return now() - start
    })
    guard length > 0 else { throw BenchError("no token") }
    return (token, reference)
}

/// The plaintext file's shape, decoded the way a Swift app without a vault would.
private struct PlainVault: Decodable {
    struct Profile: Decodable {
        let access_token: String
        let refresh_token: String?
        let token_type: String
        let scope: String?
        let expires_at: Int64?
        let token_endpoint: String
        let client_id: String
        let resource: String?
    }
    let version: Int
    let profiles: [String: Profile]
}

/// `VaultStore.read()` (open, permission checks, read, open the box, decode) against reading
/// and decoding the same profiles from a plaintext JSON file with Foundation's `JSONDecoder`.
func measureOpen(_ fixture: Fixture, iterations: Int) async throws -> (open: Samples, plaintext: Samples) {
    let plainPath = fixture.folder + "/plaintext.json"
    try fixture.writePlaintextJSON(to: plainPath)
    let url = URL(fileURLWithPath: plainPath)
    var profiles = 0
    let (open, plaintext) = try await alternate(iterations: iterations, warmup: 2, { _ in
        var snapshot: VaultSnapshot?
        let seconds = try timed { snapshot = try fixture.store.read() }
        profiles = snapshot?.profiles.count ?? 0
        return seconds
    }, { _ in
        var decoded: PlainVault?
        let seconds = try timed { decoded = try JSONDecoder().decode(PlainVault.self, from: Data(contentsOf: url)) }
        guard decoded?.profiles.count == fixture.texts.count else { throw BenchError("plaintext decode lost profiles") }
        return seconds
    })
    guard profiles == fixture.texts.count else { throw BenchError("the vault opened with \(profiles) profiles") }
    return (open, plaintext)
}

/// A refresh's write: one profile gets new tokens and the vault is re-sealed (`update`: writer
/// lock, re-read, seal, temp file, fsync, rename, folder fsync), against a bare write + fsync +
/// rename + folder fsync of as many bytes, alternated.
func measureReseal(_ fixture: Fixture, iterations: Int) async throws -> (reseal: Samples, bare: Samples) {
    let scratch = fixture.folder + "/bare"
    guard mkdir(scratch, 0o700) == 0 || errno == EEXIST else { throw BenchError("mkdir \(scratch) failed") }
    let pairs = (0..<2).map { _ in
        (Secret(copying: randomToken(ProfileText.accessTokenLength)), Secret(copying: randomToken(ProfileText.refreshTokenLength)))
    }
    let name = fixture.texts[0].name
    let (reseal, bare) = try await alternate(iterations: iterations, warmup: 1, { iteration in
        let (access, refresh) = pairs[iteration % 2]
        return try timed { try fixture.rotate(name, accessToken: access, refreshToken: refresh) }
    }, { _ in
        let payload = [UInt8](repeating: 0x5a, count: fixture.vaultSize)
        return try timed { try bareDurableWrite(payload, folder: scratch) }
    })
    return (reseal, bare)
}

/// The least any tool must do to replace a file durably.
func bareDurableWrite(_ bytes: [UInt8], folder: String) throws {
    let temporary = folder + "/.target.tmp", target = folder + "/target"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw BenchError("cannot create \(temporary)") }
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        guard written > 0 else { close(descriptor); throw BenchError("write failed") }
        offset += written
    }
    guard fsync(descriptor) == 0, close(descriptor) == 0, rename(temporary, target) == 0 else {
        throw BenchError("fsync/rename failed")
    }
    let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0, fsync(directory) == 0 else { throw BenchError("folder fsync failed") }
    close(directory)
}

/// Peak resident memory of a fresh process that opens the vault once, and of one that opens
/// nothing, in KiB; the median of `runs`.
///
/// The child reports its own `VmHWM` (the high-water mark of the address space it got at exec):
/// `ru_maxrss` from `wait4` is no use here, because Linux folds into it the high-water mark of
/// the address space the child had before exec, which under `posix_spawn` (vfork) is the bench's
/// own, hundreds of MiB once it has built a large vault.
func measurePeakMemory(_ fixture: Fixture, runs: Int) throws -> (open: Int, idle: Int) {
    let bench = selfExecutable()
    let open = Command(bench, ["peak-open", fixture.vaultPath, fixture.keyfile], environment: [:])
    let idle = Command(bench, ["peak-idle"], environment: [:])
    func peak(_ command: Command) throws -> Int {
        let (text, exit) = try command.output()
        guard exit.succeeded, let kib = Int(text.split(separator: "\n").first ?? "") else {
            throw BenchError("\(command.label) failed (wait status \(exit.status))")
        }
        return kib
    }
    var opened: [Int] = [], idled: [Int] = []
    for _ in 0..<runs {
        opened.append(try peak(open))
        idled.append(try peak(idle))
    }
    return (opened.sorted()[runs / 2], idled.sorted()[runs / 2])
}

/// This process's peak resident memory since exec, in KiB (`VmHWM` in /proc/self/status).
func peakResidentKiB() -> Int {
    Machine.field("VmHWM", in: "/proc/self/status").flatMap { Int($0.filter(\.isNumber)) } ?? 0
}

func selfExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
}

/// The `peak-open` child: opens the vault the way the CLI does, once, and prints its peak
/// resident memory in KiB.
func peakOpenChild(vault: String, keyfile: String) -> Int32 {
    do {
        let store = VaultStore(location: VaultLocation(path: FilePath(vault)), keys: try KeyRing.load(keyfile: FilePath(keyfile)))
        let snapshot = try store.read()
        guard !snapshot.profiles.isEmpty else { return 1 }
        print(peakResidentKiB())
        return 0
    } catch {
        return 2
    }
}

struct RaceRound {
    let seconds: Double
    let requests: Int
    let succeeded: Int
    let sameToken: Bool
    var problem: String?

    var correct: Bool { problem == nil }
}

/// `processes` copies of `tokenvault token p0` started at once on an expired token: the wall
/// time until the last one exits, how many requests reached the server, and whether every one
/// printed the token the server issued.
/// With `hosts` > 1, process i runs as "host" i % hosts (its own HOME and application name).
func race(_ cli: String, fixture: Fixture, endpoint: TokenEndpoint, processes: Int, round: Int, hosts: Int = 1) throws -> RaceRound {
    let seed = "bench-seed-\(round)-" + randomToken(32)
    try fixture.expire("p0", refreshToken: seed)
    endpoint.reset(refreshToken: seed)
    let commands = (0..<hosts).map { host in
        Command(cli, ["token", "p0"], environment: hosts > 1 ? fixture.environment(host: host) : fixture.environment)
    }
    var children: [(pid: pid_t, out: Pipe, err: Pipe)] = []
    let start = now()
    for index in 0..<processes {
        let command = commands[index % hosts]
        let out = try Pipe(), err = try Pipe()
        let pid = try command.spawn(stdout: out.write, stderr: err.write)
        close(out.write)
        close(err.write)
        children.append((pid, out, err))
    }
    let exits = children.map { Command.wait($0.pid) }
    let seconds = now() - start
    let outputs = children.map { $0.out.readAll() }
    let errors = children.map { $0.err.readAll() }
    let issued = endpoint.lastAccessToken
    let succeeded = exits.filter(\.succeeded).count
    let sameToken = issued != nil && outputs.allSatisfy { $0 == issued! + "\n" }
    var result = RaceRound(seconds: seconds, requests: endpoint.tokenRequests, succeeded: succeeded, sameToken: sameToken)
    if succeeded != processes {
        let first = zip(exits, errors).first { !$0.0.succeeded }
        result.problem = "\(processes - succeeded) failed; first: \(first?.1.split(separator: "\n").first ?? "exit \(first?.0.status ?? 0)")"
    } else if result.requests != 1 {
        result.problem = "\(result.requests) requests reached the server"
    } else if !sameToken {
        result.problem = "not every process printed the issued token"
    }
    return result
}
