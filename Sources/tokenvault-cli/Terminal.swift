import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// Prompts on the controlling terminal. Echo is off for the whole session, and comes back
/// whatever ends it: a return, an error, Ctrl-C, SIGTERM, SIGHUP, SIGQUIT (`TerminalEcho`).
enum Terminal {
    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Opens `/dev/tty` and runs `body` with echo off on it.
    static func withoutEcho<Result>(_ body: (Session) throws -> Result) throws -> Result {
        let tty: FileDescriptor
        do {
            tty = try FileDescriptor.open("/dev/tty", .readWrite, options: [.closeOnExec])
        } catch {
            throw CommandFailure(message: "cannot open the terminal to prompt for tokens", hint: "pipe the token JSON to stdin instead", status: .invalidInput)
        }
        defer { try? tty.close() }
        return try TerminalEcho.off(on: tty) { _ in try body(Session(tty: tty)) }
    }

    struct Session {
        let tty: FileDescriptor

        /// Writes `prompt` (if any) and reads one line into guarded memory; `nil` at end of input.
        func readLine(prompt: String = "", limit: Int = 64 * 1024) throws -> Secret? {
            if !prompt.isEmpty { say(prompt) }
            return try SecretReader.readLine(from: tty, limit: limit)
        }

        /// Text for the person at the terminal (prompts, "try again").
        func say(_ text: String) {
            var text = text
            text.withUTF8 { _ = try? tty.writeAll(UnsafeRawBufferPointer($0)) }
        }
    }
}
