import Foundation
import Testing

/// `keygen --output -`: the key on stdout for a pipe, never a file named `-`, and never on a
/// terminal unless forced.
@Suite("keygen to stdout")
struct KeygenOutputTests {
    /// Runs `tokenvault ARGS` from `folder` through sh, with `redirect` appended to the command.
    private func keygen(_ arguments: [String], in folder: TemporaryDirectory, redirect: String = "") throws -> RunResult {
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        return try runProcess("/bin/sh", ["-c", "cd \"$0\" && umask 022 && \"$1\" \(quoted) \(redirect)", folder.path, tokenvaultExecutable],
                              environment: ["PATH": "/usr/bin:/bin"])
    }

    @Test("--output - writes a keyfile's text to a pipe, creates no file named -, and the key opens a vault")
    func toPipe() throws {
        let folder = TemporaryDirectory()
        let result = try keygen(["keygen", "--output", "-"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("# tokenvault key id ") && lines[1].hasPrefix("tokenvault-key-v1:"))
        #expect(!result.stderr.contains("tokenvault-key-v1:"))
        #expect(result.stderr.contains("tokenvault: wrote a new key (id "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "keygen left a file behind")

        let keyfile = folder.file("key")
        try result.stdout.write(toFile: keyfile, atomically: false, encoding: .utf8)
        chmod(keyfile, 0o600)
        let initialised = try runProcess(tokenvaultExecutable, ["init", "--vault", folder.file("v/tokens.vault"), "--keyfile", keyfile],
                                         environment: ["PATH": "/usr/bin:/bin", "HOME": folder.path])
        #expect(initialised.status == 0, "\(initialised.stderr)")
    }

    @Test("--output - into a file others can read warns, as age-keygen does")
    func toReadableFile() throws {
        let folder = TemporaryDirectory()
        let result = try keygen(["keygen", "--output", "-"], in: folder, redirect: "> shared.key")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: warning: writing the key to a file others can read (mode 644)"))
        #expect(try String(contentsOfFile: folder.file("shared.key"), encoding: .utf8).contains("tokenvault-key-v1:"))
    }

    @Test("--output - refuses a terminal (exit 64) unless --force")
    func toTerminal() throws {
        let folder = TemporaryDirectory()
        // On a pseudo-terminal as stdin, stdout and stderr, from `folder`.
        func keygenOnTerminal(_ extra: [String]) throws -> (exit: Int?, output: String) {
            let command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", folder.path, tokenvaultExecutable, "keygen", "--output", "-"] + extra
            let report = try Harness.run("pty_drive.py", ["[]"] + command, environment: ["PATH": "/usr/bin:/bin"])
            return (report["exit"] as? Int, report["output"] as? String ?? "")
        }
        let refused = try keygenOnTerminal([])
        #expect(refused.exit == 64)
        #expect(refused.output.contains("tokenvault: error: refusing to write a vault key to the terminal"))
        #expect(!refused.output.contains("tokenvault-key-v1:"))

        let forced = try keygenOnTerminal(["--force"])
        #expect(forced.exit == 0)
        #expect(forced.output.contains("tokenvault-key-v1:"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "keygen left a file behind")
    }

    @Test("--force goes only with --output -")
    func forceNeedsStandardOutput() throws {
        let folder = TemporaryDirectory()
        let result = try keygen(["keygen", "--output", "key", "--force"], in: folder)
        #expect(result.status == 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("keygen over an existing keyfile refuses (16), leaves it as it was, and never advises removing it")
    func overExistingKeyfile() throws {
        let folder = TemporaryDirectory()
        #expect(try keygen(["keygen", "--output", "key"], in: folder).status == 0)
        let before = try String(contentsOfFile: folder.file("key"), encoding: .utf8)
        let result = try keygen(["keygen", "--output", "key"], in: folder)
        #expect(result.status == 16)
        #expect(result.stderr.contains("keygen never overwrites a file, which may be the only key to a vault"))
        #expect(result.stderr.contains("'tokenvault keyfile add key --from new.key --first'"))
        #expect(!result.stderr.contains("remove the file"), "\(result.stderr)")
        #expect(try String(contentsOfFile: folder.file("key"), encoding: .utf8) == before)
    }
}
