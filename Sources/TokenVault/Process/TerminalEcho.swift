internal import CProcess
import SystemPackage

/// Echo off on a terminal while secrets are typed or pasted, and back on whatever ends the
/// process: SIGINT (Ctrl-C), SIGTERM, SIGHUP and SIGQUIT restore the terminal's settings and then
/// do what they did before (end the process); SIGTSTP (Ctrl-Z) restores them and stops, and
/// SIGCONT turns echo off again. Newlines still echo, so each answer ends its line.
package enum TerminalEcho {
    /// Runs `body` with echo off on `terminal`; `false` for `body`'s argument when `terminal` is
    /// not a terminal (nothing was changed).
    package static func off<Result>(on terminal: FileDescriptor, _ body: (Bool) throws -> Result) rethrows -> Result {
        let changed = tokenvault_terminal_begin(terminal.rawValue) == 0
        defer { if changed { tokenvault_terminal_end() } }
        return try body(changed)
    }
}
