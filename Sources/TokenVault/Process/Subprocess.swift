import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command quietly. The child gets this process's environment without the variables
/// named in `hiding` (the vault key): the entries are filtered as pointers, so a hidden value is
/// never copied. Its standard input, output and error are /dev/null.
package enum Subprocess {
    /// Runs the command to completion and returns its exit status (127 when it cannot start).
    static func run(_ arguments: [String], hiding hidden: [String]) -> Int32 {
        guard let pid = spawn(arguments, hiding: hidden) else { return 127 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Starts the command (a browser) and does not wait for it: whether it could be started.
    /// It runs on after this process exits.
    package static func start(_ arguments: [String], hiding hidden: [String]) -> Bool {
        spawn(arguments, hiding: hidden) != nil
    }

    /// This process's environment block without the variables named in `hidden`, ending in
    /// `nil`: pointers into `environ`, valid until the environment changes.
    static func environment(hiding hidden: [String]) -> [UnsafeMutablePointer<CChar>?] {
        var environment: [UnsafeMutablePointer<CChar>?] = []
        let prefixes = hidden.map { $0 + "=" }
        var entry = environ
        while let pointer = entry.pointee {
            if !prefixes.contains(where: { strncmp(pointer, $0, $0.utf8.count) == 0 }) { environment.append(pointer) }
            entry += 1
        }
        environment.append(nil)
        return environment
    }

    private static func spawn(_ arguments: [String], hiding hidden: [String]) -> pid_t? {
        var environment = environment(hiding: hidden)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, arguments[0], &actions, nil, &argv, &environment) == 0 else { return nil }
        return pid
    }
}
