import ArgumentParser

/// A subcommand whose help ends with examples and the exit codes it can return.
protocol DocumentedCommand: ParsableCommand {
    /// What each example does, then the command line.
    static var examples: [(purpose: String, command: String)] { get }
    /// The codes this command can exit with, beyond `ExitStatus.always`.
    static var exitStatuses: [ExitStatus] { get }
}

/// The end of every subcommand's help: EXAMPLES, then EXIT STATUS with each code's meaning from
/// `ExitStatus.meaning`. swift-argument-parser puts a command's discussion before its usage and
/// options, so these sections are appended to its help page rather than written into the discussion.
enum HelpPage {
    /// The width swift-argument-parser gives a help page off a terminal.
    static let width = 80

    static func epilogue(for command: any DocumentedCommand.Type) -> String {
        var out = "EXAMPLES:\n"
        for (index, example) in command.examples.enumerated() {
            if index > 0 { out += "\n" }
            out += wrapped(example.purpose, after: "  ", hangingIndent: 2)
            out += "    " + example.command + "\n"
        }
        out += "\nEXIT STATUS:\n"
        let codes = Set(ExitStatus.always + command.exitStatuses).sorted { $0.rawValue < $1.rawValue }
        for code in codes {
            let number = String(code.rawValue)
            let label = "  " + number + String(repeating: " ", count: 5 - number.count)
            out += wrapped(code.meaning, after: label, hangingIndent: label.count)
        }
        return out
    }

    /// `text` as lines of at most `width` columns: the first after `prefix`, the others indented
    /// by `hangingIndent`. A word longer than a line gets a line of its own.
    static func wrapped(_ text: String, after prefix: String, hangingIndent: Int) -> String {
        var lines: [String] = []
        var line = prefix
        var lineIsEmpty = true
        for word in text.split(separator: " ") {
            if !lineIsEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: hangingIndent)
                lineIsEmpty = true
            }
            line += (lineIsEmpty ? "" : " ") + word
            lineIsEmpty = false
        }
        lines.append(line)
        return lines.map { $0 + "\n" }.joined()
    }

    /// Prints swift-argument-parser's answer to a command line it did not run (an error, the
    /// version, a help page) and exits; a subcommand's help page gets its epilogue.
    static func exit(withError error: Error) -> Never {
        if TokenVaultCommand.exitCode(for: error) == .success {
            let message = withoutTrailingNewlines(TokenVaultCommand.fullMessage(for: error))
            for case let command as any DocumentedCommand.Type in documented(TokenVaultCommand.configuration.subcommands)
            where withoutTrailingNewlines(TokenVaultCommand.helpMessage(for: command)) == message {
                Output.write(message + "\n\n" + epilogue(for: command))
                TokenVaultCommand.exit()
            }
        }
        TokenVaultCommand.exit(withError: error)
    }

    /// `commands` and the subcommands nested in them (`keyfile add`), parents first.
    private static func documented(_ commands: [any ParsableCommand.Type]) -> [any ParsableCommand.Type] {
        commands.flatMap { [$0] + documented($0.configuration.subcommands) }
    }

    private static func withoutTrailingNewlines(_ text: String) -> String {
        var text = text
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
