#if canImport(Glibc)
import Glibc
#endif

/// The full command, `tokenvault-cli`, in the folder this executable was started from
/// (`/proc/self/exe`, never a search of PATH): the front replaces itself with it, passing its
/// arguments and environment unchanged, so the full command's messages and exit codes are
/// what the caller sees.
enum FullCommand {
    static let name = "tokenvault-cli"

    /// The exit codes when the full command cannot be run: those of `tokenvault exec` for its
    /// command (README, "Exit codes"), as a shell gives them; README's "Getting started" says
    /// the front uses them.
    enum Failure: Int32 {
        /// `tokenvault-cli` is not there (or this executable's folder is unknown).
        case notFound = 127
        /// `tokenvault-cli` is there but cannot be run.
        case notRunnable = 126
    }

    static func run() -> Never {
        guard let path = siblingPath() else {
            fail("cannot find the folder of this executable (/proc/self/exe)", status: .notFound)
        }
        execv(path, CommandLine.unsafeArgv)
        let error = errno
        fail("cannot run \(path): \(String(cString: strerror(error)))", status: error == ENOENT ? .notFound : .notRunnable)
    }

    /// The absolute path of `tokenvault-cli` beside this executable.
    static func siblingPath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count)
        guard length > 0, length < buffer.count else { return nil }
        let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard path.hasPrefix("/"), let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[...slash]) + name
    }

    /// The full command is not installed beside this one: only the front can say so.
    static func fail(_ message: String, status: Failure) -> Never {
        var text = "tokenvault: error: \(message)\ntokenvault: hint: install \(name) in the same folder as tokenvault (scripts/install)\n"
        text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
        exit(status.rawValue)
    }
}
