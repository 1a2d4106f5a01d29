import Foundation
import Testing

/// Each failure gets the exit code of its class and a hint that points the right way.
@Suite("exit codes and hints")
struct ExitHintTests {
    enum Situation: String, CaseIterable, CustomTestStringConvertible {
        case fromFIFO, fromSymlink, fromMissing, keyfileTooLarge

        var testDescription: String { rawValue }
    }

    @Test("input files, keyfiles: the exit code of their class and a hint that fits", arguments: Situation.allCases)
    func situation(_ situation: Situation) throws {
        let sandbox = try Sandbox()
        let importArguments = ["import", "p", "--token-endpoint", "https://a.example.com/t", "--client-id", "c"]
        let input = sandbox.directory.file("input.json")
        _ = FileManager.default.createFile(atPath: input, contents: Data(#"{"access_token":"\#(secretMarker)-a"}"#.utf8), attributes: [.posixPermissions: 0o600])
        let result: RunResult
        let expected: (status: Int32, error: String, hint: String)
        switch situation {
        case .fromFIFO:
            let fifo = sandbox.directory.file("fifo")
            #expect(mkfifo(fifo, 0o600) == 0)
            result = try sandbox.run(importArguments + ["--from", fifo])
            expected = (19, "--from \(fifo) is not a regular file", "pipe the token JSON to stdin without --from")
        case .fromSymlink:
            let link = sandbox.directory.file("link.json")
            #expect(symlink(input, link) == 0)
            result = try sandbox.run(importArguments + ["--from", link])
            expected = (19, "--from \(link) is a symbolic link", "give the file's own path")
        case .fromMissing:
            let missing = sandbox.directory.file("missing.json")
            result = try sandbox.run(importArguments + ["--from", missing])
            expected = (19, "--from \(missing) does not exist", "check the path")
        case .keyfileTooLarge:
            var text = try String(contentsOfFile: sandbox.keyfile, encoding: .utf8)
            text += String(repeating: "# padding\n", count: 7000)
            try text.write(toFile: sandbox.keyfile, atomically: false, encoding: .utf8)
            result = try sandbox.run(["list"])
            expected = (10, "keyfile \(sandbox.keyfile) is larger than 64 KiB", "point TOKENVAULT_KEYFILE or --keyfile at the keyfile itself")
        }
        #expect(result.status == expected.status, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: error: \(expected.error)"), "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: hint: \(expected.hint)"), "\(result.stderr)")
        #expect(!result.stderr.contains("--vault or TOKENVAULT_PATH"))
        #expect(!result.stderr.contains("free space"))
    }

    @Test("a vault or keyfile of another user names that user, and never suggests taking it over with chown to yourself (as root; skipped otherwise)")
    func foreignOwnerNamed() throws {
        guard geteuid() == 0 else {
            print("skipped: needs root to give a file to another user")
            return
        }
        let sandbox = try Sandbox()
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        let cases = [
            (sandbox.keyfile, "run tokenvault as nobody, with the key and vault settings nobody's service uses ('sudo -u nobody env TOKENVAULT_KEYFILE=… TOKENVAULT_PATH=… tokenvault …': sudo resets the environment); or get a copy of the key from nobody into a keyfile of your own"),
            (sandbox.vault, "only nobody or root can change that: run tokenvault as its owner, with the settings the owner uses ('sudo -u nobody env TOKENVAULT_KEYFILE=… TOKENVAULT_PATH=… tokenvault …': sudo resets the environment)"),
        ]
        for (path, hint) in cases {
            #expect(chown(path, nobody, nobody) == 0)
            let result = try sandbox.run(["list"])
            #expect(result.status == 14)
            #expect(result.stderr.contains("tokenvault: error: \(path) belongs to user 'nobody' (uid \(nobody)), not to you (root)"), "\(result.stderr)")
            #expect(result.stderr.contains("tokenvault: hint: \(hint)"), "\(result.stderr)")
            #expect(!result.stderr.contains("chown"), "\(result.stderr)")
            #expect(!result.stderr.contains("$(id -u)"))
            #expect(chown(path, 0, 0) == 0)
        }
        let audit = try sandbox.run(["audit"])
        #expect(audit.status == 0)
        for path in [sandbox.keyfile, sandbox.vault] {
            #expect(chown(path, nobody, nobody) == 0)
        }
        let found = try sandbox.run(["audit"])
        #expect(found.stdout.contains("the keyfile belongs to user 'nobody' (uid \(nobody))"), "\(found.stdout)")
        #expect(found.stdout.contains("make your own with 'tokenvault keygen --output FILE'"))
        #expect(found.stdout.contains("the vault belongs to user 'nobody' (uid \(nobody))"), "\(found.stdout)")
        #expect(found.stdout.contains("run tokenvault as its owner, with the settings the owner uses ('sudo -u nobody env TOKENVAULT_KEYFILE=… TOKENVAULT_PATH=… tokenvault …': sudo resets the environment)"), "\(found.stdout)")
        #expect(!found.stdout.contains("chown"), "\(found.stdout)")
        #expect(!found.stdout.contains("$(id -u)"))
    }
}
