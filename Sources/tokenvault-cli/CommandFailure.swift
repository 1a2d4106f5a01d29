import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// A failure a command reports itself, with its own exit code.
struct CommandFailure: Error {
    let message: String
    let hint: String?
    let status: ExitStatus
}
