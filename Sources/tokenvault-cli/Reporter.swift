import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// Messages to people, on stderr, in one voice:
/// `tokenvault: error: <what, naming the path or profile>` then `tokenvault: hint: <the fix>`.
///
/// Plain text, no colour: tokenvault adds no escape sequence to what it prints (and cleans them
/// out of server text, `PrintableText`). Colour, if it is ever added, is added here, and only when
/// stderr is a terminal and NO_COLOR is unset or empty (https://no-color.org).
///
/// Lines a command writes run after run into a log (`refresh` from cron) start with the time they
/// report, in UTC (ISO 8601): `2026-12-02T01:17:00Z tokenvault: error: …`.
enum Reporter {
    static func error(_ message: String, hint: String? = nil, at time: UnixTime? = nil) {
        printError(stamp(time) + "tokenvault: error: \(message)")
        if let hint { printError(stamp(time) + "tokenvault: hint: \(hint)") }
    }

    static func warning(_ message: String) {
        printError("tokenvault: warning: \(message)")
    }

    static func note(_ message: String, at time: UnixTime? = nil) {
        printError(stamp(time) + "tokenvault: \(message)")
    }

    private static func stamp(_ time: UnixTime?) -> String {
        time.map { ISO8601.format($0) + " " } ?? ""
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
