internal import CProcess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Keeping secrets out of core dumps and crash reports.
///
/// TokenVault's own secret buffers are guarded memory marked `MADV_DONTDUMP`, but copies escape
/// it: a token handed to an app as a `String`, what libcurl and the TLS library copy, bytes left
/// in vector registers saved on a signal stack. A core dump, or Swift's crash backtracer (which
/// prints the registers and 16 bytes of the memory each one points to), can carry them to disk
/// or to a log. The `tokenvault` command calls both functions first thing in `main`.
///
/// The library never calls them on its own: they change the whole process for the rest of its
/// life (no core dumps at all, no `ptrace` or `/proc/PID/mem` by the same user, so no debugger
/// attach or profiler; crash reports without Swift's symbolicated backtrace), which is the
/// application's decision, not a dependency's. An application that holds valuable tokens
/// should call them before it loads a key.
public enum CrashDumps {
    /// Turns core dumps off for the rest of this process's life: `RLIMIT_CORE` 0, soft and hard
    /// (nothing in the process can raise it again), then `prctl(PR_SET_DUMPABLE, 0)` (no core
    /// even through a `core_pattern` pipe, and no `ptrace` or `/proc/PID/mem` access by other
    /// processes of the same user). Child processes inherit the limit; `execve` makes a child
    /// dumpable again as usual.
    public static func disable() throws(Errno) {
        guard tokenvault_disable_core_dumps() == 0 else { throw Errno(rawValue: errno) }
    }

    /// Whether this process can still dump core (`PR_GET_DUMPABLE`).
    public static var isDumpable: Bool { tokenvault_is_dumpable() != 0 }

    /// Replaces the handlers of the crash signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
    /// SIGTRAP, SIGQUIT, SIGSYS) with one that prints `label: crashed with signal N (NAME)` and
    /// the faulting instruction's address (and its offset in the executable), never other
    /// register or memory contents, then ends the process
    /// with the same signal. This takes over from Swift's crash backtracer, whatever
    /// `SWIFT_BACKTRACE` says.
    public static func installAddressOnlyCrashReports(label: String) throws(Errno) {
        guard tokenvault_install_crash_handler(label) == 0 else { throw Errno(rawValue: errno) }
    }
}
