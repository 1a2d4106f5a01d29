import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Running a command for what it prints (a key command): its standard output read straight into
/// guarded memory, bounded in size and in time. It runs without a shell, in a process group of
/// its own, with standard input /dev/null and this process's standard error; its environment is
/// this process's without the variables named in `hiding`.
extension Subprocess {
    /// The standard output of `commandLine` (split by `CommandWords`), once it exited with
    /// status 0 within `timeout` seconds, having printed at most `limit` bytes.
    package static func output(
        of commandLine: String, hiding hidden: [String], limit: Int, timeout seconds: Int
    ) throws(CommandOutputError) -> Secret {
        let words: [String]
        do {
            words = try CommandWords.split(commandLine)
        } catch {
            throw error == .empty ? .emptyCommandLine : .unterminatedQuote
        }
        let program = words[0]
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .io(program: program, Errno(rawValue: errno)) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try spawnCapturing(words, into: ends[1], hiding: hidden)
        } catch {
            close(ends[0])
            close(ends[1])
            throw .cannotStart(program: program, error)
        }
        close(ends[1])
        defer { close(ends[0]) }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let buffer = SecureBuffer(count: limit)
        let count: Int
        do {
            count = try read(ends[0], into: buffer, until: deadline, program: program, seconds: seconds)
        } catch {
            kill(-pid, SIGKILL)
            _ = waitForExit(pid, until: nil)
            throw error
        }
        guard let status = waitForExit(pid, until: deadline) else {
            kill(-pid, SIGKILL)
            _ = waitForExit(pid, until: nil)
            throw .timedOut(program: program, seconds: seconds)
        }
        if status & 0x7f != 0 { throw .killed(program: program, signal: status & 0x7f) }
        let exitStatus = (status >> 8) & 0xff
        guard exitStatus == 0 else { throw .exited(program: program, status: exitStatus) }
        return Secret(buffer: buffer, range: 0..<count)
    }

    /// Starts `words` in a process group of its own, standard input /dev/null, standard output
    /// `output`, standard error inherited, and SIGPIPE back to its default.
    private static func spawnCapturing(_ words: [String], into output: Int32, hiding hidden: [String]) throws(Errno) -> pid_t {
        var environment = environment(hiding: hidden)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var argv = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, words[0], &actions, &attributes, &argv, &environment)
        guard result == 0 else { throw Errno(rawValue: result) }
        return pid
    }

    /// Reads `descriptor` to its end into `buffer`: the number of bytes read.
    private static func read(
        _ descriptor: Int32, into buffer: SecureBuffer, until deadline: ContinuousClock.Instant, program: String, seconds: Int
    ) throws(CommandOutputError) -> Int {
        let bytes = buffer.bytes
        var total = 0
        var probe: UInt8 = 0
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw .timedOut(program: program, seconds: seconds) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
            if ready < 0 {
                if errno == EINTR { continue }
                throw .io(program: program, Errno(rawValue: errno))
            }
            if ready == 0 { continue }
            let count = total < bytes.count
                ? Glibc.read(descriptor, bytes.baseAddress! + total, bytes.count - total)
                : Glibc.read(descriptor, &probe, 1)
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .io(program: program, Errno(rawValue: errno))
            }
            if count == 0 { return total }
            guard total < bytes.count else { throw .tooMuchOutput(program: program, limit: bytes.count) }
            total += count
        }
    }

    /// The wait status of `pid` once it exits, or `nil` when it has not by `deadline` (without
    /// a deadline, waits as long as it takes).
    private static func waitForExit(_ pid: pid_t, until deadline: ContinuousClock.Instant?) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
            if result == pid { return status }
            if result < 0 && errno != EINTR { return 0 }
            if let deadline {
                if ContinuousClock.now >= deadline { return nil }
                usleep(5_000)
            }
        }
    }
}
