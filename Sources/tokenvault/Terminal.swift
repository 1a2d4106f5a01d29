import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// Prompts on the controlling terminal, with echo off for secrets.
enum Terminal {
    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Reads one line from `/dev/tty` into guarded memory; echo is off while the user types.
    static func readSecretLine(prompt: String) throws -> Secret {
        let tty: FileDescriptor
        do {
            tty = try FileDescriptor.open("/dev/tty", .readWrite, options: [.closeOnExec])
        } catch {
            throw CommandFailure(message: "cannot open the terminal to prompt for tokens", hint: "pipe the token JSON to stdin instead", status: .invalidInput)
        }
        defer { try? tty.close() }
        var saved = termios()
        let haveSettings = tcgetattr(tty.rawValue, &saved) == 0
        if haveSettings {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            tcsetattr(tty.rawValue, TCSANOW, &silent)
        }
        defer { if haveSettings { tcsetattr(tty.rawValue, TCSANOW, &saved) } }
        var promptText = prompt
        promptText.withUTF8 { _ = try? tty.write(UnsafeRawBufferPointer($0)) }
        return try TokenInput.readLine(from: tty)
    }

    static func readLine(prompt: String) throws -> String {
        let secret = try readSecretLine(prompt: prompt)
        return secret.unsafeStringValue()
    }
}
