internal import CProcess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Ending a long-running process on SIGTERM and SIGINT: remove the one file it must not leave
/// behind (a socket it bound), then exit 0, from a C handler that is async-signal-safe whichever
/// thread takes the signal.
package enum SignalTermination {
    /// Installs the handler; `removing` is the path to unlink first (`nil`: none).
    package static func exitOnTermination(removing path: String?) throws(Errno) {
        let installed = path.map { tokenvault_exit_on_termination($0) } ?? tokenvault_exit_on_termination(nil)
        guard installed == 0 else { throw Errno(rawValue: errno) }
    }
}
