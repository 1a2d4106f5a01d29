import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// Messages to people, on stderr, in one voice:
/// `tokenvault: error: <what, naming the path or profile>` then `tokenvault: hint: <the fix>`.
enum Reporter {
    static func error(_ message: String, hint: String? = nil) {
        printError("tokenvault: error: \(message)")
        if let hint { printError("tokenvault: hint: \(hint)") }
    }

    static func warning(_ message: String) {
        printError("tokenvault: warning: \(message)")
    }

    static func note(_ message: String) {
        printError("tokenvault: \(message)")
    }

    static func printError(_ line: String) {
        var line = line + "\n"
        line.withUTF8 { bytes in
            _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count)
        }
    }

    static func fail(_ message: String, hint: String? = nil, status: ExitStatus) -> Never {
        Reporter.error(message, hint: hint)
        exit(status.rawValue)
    }
}
