#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Why a command run for its output (a key command) gave none to use. Each case names the
/// program (the command's first word), never the rest of the command line or anything it printed.
public enum CommandOutputError: Error, Sendable, Equatable {
    /// The command line holds no word.
    case emptyCommandLine
    /// The command line has a quote that is not closed, or ends in a backslash.
    case unterminatedQuote
    /// The program could not be started (not found, not executable).
    case cannotStart(program: String, Errno)
    /// It exited with a status other than 0.
    case exited(program: String, status: Int32)
    /// A signal ended it.
    case killed(program: String, signal: Int32)
    /// It was still running after `seconds`: its process group was killed.
    case timedOut(program: String, seconds: Int)
    /// It printed more than `limit` bytes: its process group was killed.
    case tooMuchOutput(program: String, limit: Int)
    /// Reading its output failed.
    case io(program: String, Errno)
}

extension CommandOutputError: CustomStringConvertible {
    /// What went wrong, naming the program only.
    public var description: String {
        switch self {
        case .emptyCommandLine:
            return "holds no command"
        case .unterminatedQuote:
            return "has a quote that is not closed, or ends in a backslash"
        case .cannotStart(let program, let error):
            return "'\(PrintableText.clean(program))' could not be started: \(error)"
        case .exited(let program, let status):
            return "'\(PrintableText.clean(program))' exited with status \(status)"
        case .killed(let program, let signal):
            return "'\(PrintableText.clean(program))' was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        case .timedOut(let program, let seconds):
            return "'\(PrintableText.clean(program))' was still running after \(seconds) s and was killed"
        case .tooMuchOutput(let program, let limit):
            return "'\(PrintableText.clean(program))' printed more than \(limit / 1024) KiB and was killed; a key is a few lines"
        case .io(let program, let error):
            return "reading the output of '\(PrintableText.clean(program))' failed: \(error)"
        }
    }
}
