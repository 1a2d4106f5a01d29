import ArgumentParser
import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

struct Keygen: ParsableCommand, DocumentedCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new vault key to a file.",
        discussion: """
            Creates FILE with mode 0600 and one new random key in it (and its missing folders, \
            mode 0700). Refuses to overwrite an existing file. --output - writes the key to \
            stdout instead, for a pipe into a secret store: never to a terminal without --force, \
            and with a warning into a file others can read. To rotate keys, add the new key first \
            to the keyfile every process uses ('tokenvault keyfile add KEYFILE --from NEW --first'), \
            then re-seal with 'tokenvault rotate-key' (README, "Key rotation").
            """
    )

    static let examples: [(purpose: String, command: String)] = [
        ("Write a new key and use it from now on:", "tokenvault keygen --output ~/.config/tokenvault/key"),
        ("Pipe a new key straight into a secret store, so that it never lies on disk in the clear:",
         "tokenvault keygen --output - | systemd-creds encrypt - key.cred"),
    ]

    static let exitStatuses: [ExitStatus] = [.alreadyExists, .ioFailure]

    @Option(name: .long, help: ArgumentHelp("Where to write the key; - for stdout (a pipe, never a terminal unless --force).", valueName: "file"))
    var output: String

    @Flag(name: .long, help: "With --output -: write the key even when stdout is a terminal.")
    var force = false

    func validate() throws {
        if force && output != "-" { throw ValidationError("--force goes with --output -") }
    }

    func run() throws {
        let key = VaultKey.generate()
        guard output != "-" else {
            try writeToStandardOutput(key)
            return
        }
        do {
            try KeyFile.create(at: FilePath(output), with: key)
        } catch .file(.alreadyExists(let path)) {
            // The file there may be the only key to a vault: never advise removing it.
            throw CommandFailure(
                message: "\(path) already exists; keygen never overwrites a file, which may be the only key to a vault",
                hint: "keep it, and write the new key to another path (for a key rotation: 'tokenvault keygen --output new.key', then 'tokenvault keyfile add \(path) --from new.key --first'); 'tokenvault keyfile list \(path)' shows the keys it holds",
                status: .alreadyExists)
        }
        Reporter.note("wrote a new key (id \(key.id)) to \(output)")
    }

    /// `--output -` is for pipes: a secret store's stdin (`systemd-creds encrypt`, `pass insert -m`)
    /// or a file the shell creates. Unlike age-keygen, which writes to a terminal because stdout
    /// is its default and its output is also meant to be read, this key opens every token of the
    /// vault and is never meant to be read: on a terminal it stays in the scrollback, terminal
    /// logs and screen shares, so writing it there takes --force. Like age-keygen, a warning when
    /// stdout is a file that others can read.
    private func writeToStandardOutput(_ key: VaultKey) throws {
        if isatty(STDOUT_FILENO) == 1 && !force {
            throw CommandFailure(
                message: "refusing to write a vault key to the terminal",
                hint: "pipe it where it goes ('tokenvault keygen --output - | systemd-creds encrypt - key.cred'), write a file with --output FILE, or pass --force",
                status: .usage
            )
        }
        var status = stat()
        if fstat(STDOUT_FILENO, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o077 != 0 {
            Reporter.warning("writing the key to a file others can read (mode \(String(status.st_mode & 0o777, radix: 8))): make it 0600 or use --output FILE")
        }
        try KeyFile.write(key, to: .standardOutput, name: "stdout")
        Reporter.note("wrote a new key (id \(key.id)) to stdout")
    }
}
