#if canImport(Glibc)
import Glibc
#endif

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// How a child ended, and what it cost (`wait4`).
struct ChildExit {
    let status: Int32
    let maxResidentKiB: Int

    var exitCode: Int32? { status & 0x7f == 0 ? (status >> 8) & 0xff : nil }
    var succeeded: Bool { exitCode == 0 }
}

/// A command run many times: its argv and environment are turned into C strings once, so that
/// every run of every command costs the harness the same.
final class Command {
    let path: String
    let label: String
    private var argv: [UnsafeMutablePointer<CChar>?]
    private var envp: [UnsafeMutablePointer<CChar>?]

    init(_ path: String, _ arguments: [String], environment: [String: String], label: String? = nil) {
        self.path = path
        self.label = label ?? ([path] + arguments).joined(separator: " ")
        argv = ([path] + arguments).map { strdup($0) } + [nil]
        envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    }

    deinit {
        for pointer in argv + envp { free(pointer) }
    }

    /// Starts the command with stdin from /dev/null and stdout and stderr on the given
    /// descriptors; its process id.
    func spawn(stdout: Int32, stderr: Int32 = STDERR_FILENO) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, DevNull.descriptor, STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, stdout, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, stderr, STDERR_FILENO)
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard status == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(status)))") }
        return pid
    }

    /// Runs to completion with stdout to /dev/null: the wall time from spawn to reaped exit.
    func time() throws -> (seconds: Double, exit: ChildExit) {
        let start = now()
        let pid = try spawn(stdout: DevNull.descriptor)
        let exit = Self.wait(pid)
        return (now() - start, exit)
    }

    /// Runs to completion and returns what it printed on stdout.
    func output() throws -> (text: String, exit: ChildExit) {
        let pipe = try Pipe()
        let pid = try spawn(stdout: pipe.write)
        close(pipe.write)
        let text = pipe.readAll()
        return (text, Self.wait(pid))
    }

    static func wait(_ pid: pid_t) -> ChildExit {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        return ChildExit(status: status, maxResidentKiB: usage.ru_maxrss)
    }
}

/// A close-on-exec pipe; spawned children get only the end they are given.
struct Pipe {
    let read: Int32
    let write: Int32

    init() throws {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw BenchError("pipe failed") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        read = ends[0]
        write = ends[1]
    }

    /// Reads to end of file and closes the read end.
    func readAll() -> String {
        defer { close(read) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

enum DevNull {
    static let descriptor: Int32 = {
        let descriptor = open("/dev/null", O_RDWR | O_CLOEXEC)
        precondition(descriptor >= 0, "cannot open /dev/null")
        return descriptor
    }()
}

/// Runs a helper tool once (setup work, not timed); fails loudly when it fails.
@discardableResult
func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let command = Command(path, arguments, environment: environment)
    let (text, exit) = try command.output()
    guard exit.succeeded else { throw BenchError("\(command.label) failed (wait status \(exit.status))") }
    return text
}
