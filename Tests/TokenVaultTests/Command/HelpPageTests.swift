import Foundation
import Testing

/// What the installed command says about itself: its version, each subcommand's help (ending with
/// EXAMPLES and the exit codes it can return, as README's table words them), and the shell
/// completion scripts README tells users to install.
@Suite("help, version and completions")
struct HelpPageTests {
    static let subcommands = [
        "keygen", "init", "login", "import", "set", "token", "refresh", "exec", "status", "list", "remove", "rotate-key", "copy", "audit",
        "keyfile", "keyfile list", "keyfile add", "keyfile remove", "agent",
    ]

    /// The subcommands a help page lists in its SUBCOMMANDS section.
    private func listedSubcommands(_ help: String) -> [String] {
        // The section runs to its first blank line.
        guard let section = help.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first?.components(separatedBy: "\n\n").first else { return [] }
        return section.split(separator: "\n").compactMap { line in
            // A name starts in column 3; continuation lines of an abstract are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { return nil }
            return String(name)
        }
    }

    private func tokenvault(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        try runProcess(tokenvaultExecutable, arguments, environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 })
    }

    /// README's "Exit codes" table: each code's meaning without its Markdown.
    private func readmeExitCodes() throws -> [Int32: String] {
        let readme = try String(contentsOf: sourceTree.appendingPathComponent("README.md"), encoding: .utf8)
        let parts = readme.components(separatedBy: "\n### Exit codes\n")
        try #require(parts.count == 2, "README has no single 'Exit codes' section")
        let table = parts[1].components(separatedBy: "\n#")[0]
        var codes: [Int32: String] = [:]
        for line in table.split(separator: "\n") where line.hasPrefix("|") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 4, let code = Int32(cells[1]) else { continue }
            codes[code] = cells[2].replacingOccurrences(of: "`", with: "")
        }
        try #require(!codes.isEmpty, "no rows in README's exit code table")
        return codes
    }

    /// The EXIT STATUS block that ends a help page: each code and its meaning (wrapped lines joined).
    /// Fails unless the page ends with EXAMPLES (with at least one command) and then EXIT STATUS.
    private func exitStatusBlock(_ help: String, of command: String) throws -> [(code: Int32, meaning: String)] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let options = try #require(lines.firstIndex(of: "OPTIONS:"), "\(command): no OPTIONS")
        let examples = try #require(lines.lastIndex(of: "EXAMPLES:"), "\(command): no EXAMPLES section")
        let status = try #require(lines.lastIndex(of: "EXIT STATUS:"), "\(command): no EXIT STATUS section")
        #expect(options < examples && examples < status, "\(command): OPTIONS, EXAMPLES, EXIT STATUS out of order")
        let exampleLines = lines[(examples + 1)..<status]
        #expect(exampleLines.contains { $0.hasPrefix("    tokenvault \(command)") }, "\(command): no example runs it")
        var entries: [(code: Int32, meaning: String)] = []
        for line in lines[(status + 1)...] where !line.isEmpty {
            if line.hasPrefix("       "), !entries.isEmpty {
                entries[entries.count - 1].meaning += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            let fields = line.split(separator: " ", maxSplits: 1)
            let code = try #require(fields.count == 2 && line.hasPrefix("  ") ? Int32(fields[0]) : nil,
                                    "\(command): after EXIT STATUS, a line that is not a code: '\(line)'")
            entries.append((code, fields[1].trimmingCharacters(in: .whitespaces)))
        }
        return entries
    }

    @Test("--version prints the version from Version.swift and exits 0")
    func version() throws {
        let source = try String(contentsOf: sourceTree.appendingPathComponent("Sources/tokenvault-cli/Version.swift"), encoding: .utf8)
        let constant = try #require(source.split(separator: "\"").dropFirst().first.map(String.init))
        #expect(constant.split(separator: ".").count == 3 && constant.split(separator: ".").allSatisfy { Int($0) != nil })
        let result = try tokenvault(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == constant + "\n")
        #expect(result.stderr.isEmpty)
    }

    @Test("the help pages checked here are every subcommand the command lists, nested ones too")
    func everySubcommandIsChecked() throws {
        var found: [String] = []
        for name in listedSubcommands(try tokenvault(["--help"]).stdout) {
            found.append(name)
            found += listedSubcommands(try tokenvault([name, "--help"]).stdout).map { "\(name) \($0)" }
        }
        #expect(found == Self.subcommands)
    }

    @Test("every subcommand's help ends with EXAMPLES and the exit codes it returns, worded as README's table words them",
          arguments: subcommands)
    func helpEndsWithExamplesAndExitStatus(_ command: String) throws {
        let readme = try readmeExitCodes()
        let words = command.split(separator: " ").map(String.init)
        let help = try tokenvault(words + ["--help"])
        #expect(help.status == 0)
        let entries = try exitStatusBlock(help.stdout, of: command)
        let codes = entries.map(\.code)
        #expect(codes == codes.sorted() && Set(codes).count == codes.count, "\(command): codes out of order or repeated")
        #expect(Set([0, 1, 64]).isSubset(of: codes), "\(command): 0, 1 and 64 apply to every command")
        for entry in entries {
            let documented = try #require(readme[entry.code], "\(command) --help lists exit code \(entry.code), README's table does not")
            #expect(entry.meaning == documented, "exit code \(entry.code): help and README differ")
        }
        // `tokenvault help COMMAND` is the same page.
        #expect(try tokenvault(["help"] + words).stdout == help.stdout)
    }

    @Test("every code in README's exit code table is one some subcommand's help lists")
    func readmeCodesAreAllReturned() throws {
        var listed: Set<Int32> = []
        for command in Self.subcommands {
            let words = command.split(separator: " ").map(String.init)
            listed.formUnion(try exitStatusBlock(try tokenvault(words + ["--help"]).stdout, of: command).map(\.code))
        }
        #expect(listed == Set(try readmeExitCodes().keys))
    }

    @Test("a completion script is produced for bash, zsh and fish and names every subcommand", arguments: ["bash", "zsh", "fish"])
    func completionScript(_ shell: String) throws {
        let result = try tokenvault(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result.stderr)")
        for command in Self.subcommands where !command.contains(" ") {
            #expect(result.stdout.contains(command), "the \(shell) script does not mention \(command)")
        }
    }

    @Test("bash completes the subcommands and a subcommand's options from the generated script")
    func bashCompletes() throws {
        let directory = TemporaryDirectory()
        let script = directory.file("tokenvault.bash")
        try tokenvault(["--generate-completion-script", "bash"]).stdout.write(toFile: script, atomically: false, encoding: .utf8)
        // As bash calls a completion function: the words so far, then the function with the
        // command, the word being completed and the word before it.
        func complete(_ words: [String]) throws -> [String] {
            let line = words.joined(separator: " ")
            let program = """
                source "$0"
                COMP_WORDS=(\(words.map { "'\($0)'" }.joined(separator: " "))); COMP_CWORD=\(words.count - 1)
                COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
                _tokenvault tokenvault '\(words.last!)' '\(words[words.count - 2])'
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let executableFolder = URL(fileURLWithPath: tokenvaultExecutable).deletingLastPathComponent().path
            let result = try runProcess("/bin/bash", ["-c", program, script], environment: ["PATH": executableFolder + ":/usr/bin:/bin"])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init)
        }
        #expect(Set(Self.subcommands.filter { !$0.contains(" ") }).isSubset(of: try complete(["tokenvault", ""])))
        #expect(Set(["--all", "--quiet", "--json", "--force"]).isSubset(of: try complete(["tokenvault", "refresh", "--"])))
    }
}
