import Foundation
import Testing

/// Where the key and the vault come from, and hints that look at the files before they speak:
/// what was looked for, what exists, and never a new key for a vault that exists or a new vault
/// for a path that is a typo away from one.
@Suite("key and vault hints, precedence")
struct KeyHintTests {
    enum Situation: String, CaseIterable, CustomTestStringConvertible {
        case noKeyNoVault, noKeyVaultExists, noKeyVaultPathTypo, keyfileWithTilde, keyfileIsTheVault, keyfileTypo, keyfileMalformed
        case defaultKeyfileUnderHome, defaultKeyfileUnderXDGConfigHome, defaultKeyfileReadable
        case keyfileFlagBeatsKeyfileVariable, keyfileFlagBeatsKeyVariable, vaultFlagBeatsPathVariable
        case vaultPathTypo, vaultPathElsewhere

        var testDescription: String { rawValue }
    }

    /// What a run must show: its exit code, texts on stderr (or stdout) and texts nowhere.
    struct Expected {
        var status: Int32
        var stderr: [String] = []
        var stdout: [String] = []
        var absent: [String] = []
    }

    @Test("each way of missing the key or the vault: exit code, what was looked for, what exists", arguments: Situation.allCases)
    func situation(_ situation: Situation) throws {
        let initialised = situation != .noKeyNoVault
        let sandbox = try Sandbox(initialised: initialised)
        let home = sandbox.directory.path
        let keyID = try Self.keyID(of: sandbox.keyfile)
        let homeKeyfile = home + "/.config/tokenvault/key"
        let xdgKeyfile = home + "/config/tokenvault/key"
        var arguments = ["list"]
        var environment: [String: String?] = [:]
        let expected: Expected
        switch situation {
        case .noKeyNoVault:
            environment = ["TOKENVAULT_KEYFILE": nil, "XDG_CONFIG_HOME": home + "/config"]
            expected = Expected(
                status: 10,
                stderr: [
                    "tokenvault: error: no vault key: --keyfile, --key-fd, TOKENVAULT_KEY, TOKENVAULT_KEY_COMMAND, TOKENVAULT_KEY_CREDENTIAL and TOKENVAULT_KEYFILE are all unset, and there is no keyfile at \(xdgKeyfile)",
                    "tokenvault: hint: create a key with 'tokenvault keygen --output \(xdgKeyfile)' (tokenvault reads it from there by default)",
                ])
        case .noKeyVaultExists:
            environment = ["TOKENVAULT_KEYFILE": nil]
            expected = Expected(
                status: 10,
                stderr: [
                    "there is no keyfile at \(homeKeyfile)",
                    "tokenvault: hint: the vault at \(sandbox.vault) was sealed with key id \(keyID): copy that key into \(homeKeyfile) (mode 0600)",
                ],
                absent: ["keygen", "init"])
        case .noKeyVaultPathTypo:
            environment = ["TOKENVAULT_KEYFILE": nil, "TOKENVAULT_PATH": home + "/vault/tokens.vautl"]
            expected = Expected(
                status: 10,
                stderr: [
                    "there is no keyfile at \(homeKeyfile)",
                    "tokenvault: hint: there is no vault at \(home)/vault/tokens.vautl either: did you mean \(sandbox.vault) (sealed with key id \(keyID))? point --vault or TOKENVAULT_PATH at it and copy that key into \(homeKeyfile)",
                ],
                absent: ["keygen", "init"])
        case .keyfileMalformed:
            try "tokenvault-key-v1:not-a-key\n".write(toFile: sandbox.keyfile, atomically: false, encoding: .utf8)
            expected = Expected(
                status: 10,
                stderr: [
                    "tokenvault: error: line 1 of \(sandbox.keyfile) is not a tokenvault key",
                    "tokenvault: hint: restore the keyfile from its backup (the vault at \(sandbox.vault) was sealed with key id \(keyID))",
                ],
                absent: ["keygen"])
        case .keyfileWithTilde:
            environment = ["TOKENVAULT_KEYFILE": "~/key"]
            expected = Expected(
                status: 10,
                stderr: [
                    "tokenvault: error: keyfile ~/key does not exist",
                    "tokenvault: hint: '~' is not expanded here: give the full path, \(sandbox.keyfile), to TOKENVAULT_KEYFILE",
                ],
                absent: ["keygen"])
        case .keyfileIsTheVault:
            environment = ["TOKENVAULT_KEYFILE": sandbox.vault]
            expected = Expected(
                status: 10,
                stderr: ["tokenvault: hint: that file is a vault, not a key: point TOKENVAULT_KEYFILE at the keyfile that holds key id \(keyID)"],
                absent: ["keygen"])
        case .keyfileTypo:
            environment = ["TOKENVAULT_KEYFILE": home + "/kye"]
            expected = Expected(
                status: 10,
                stderr: ["tokenvault: error: keyfile \(home)/kye does not exist", "tokenvault: hint: did you mean \(sandbox.keyfile)? point TOKENVAULT_KEYFILE at it"],
                absent: ["keygen"])
        case .defaultKeyfileUnderHome, .defaultKeyfileReadable:
            try sandbox.importProfile("p")
            try Self.move(sandbox.keyfile, to: homeKeyfile)
            environment = ["TOKENVAULT_KEYFILE": nil]
            if situation == .defaultKeyfileReadable {
                #expect(chmod(homeKeyfile, 0o644) == 0)
                expected = Expected(status: 14, stderr: ["tokenvault: error: \(homeKeyfile) has mode 0644", "tokenvault: hint: chmod 600 \(homeKeyfile)"])
            } else {
                expected = Expected(status: 0, stdout: ["p"], absent: ["warning"])
            }
        case .defaultKeyfileUnderXDGConfigHome:
            try Self.move(sandbox.keyfile, to: xdgKeyfile)
            environment = ["TOKENVAULT_KEYFILE": nil, "XDG_CONFIG_HOME": home + "/config"]
            expected = Expected(status: 0, absent: ["warning", "error"])
        case .keyfileFlagBeatsKeyfileVariable, .keyfileFlagBeatsKeyVariable:
            // The shadowed source holds another key: had it been used, the vault would not open (exit 11).
            let otherKey = sandbox.directory.file("other.key")
            try sandbox.expectSuccess(["keygen", "--output", otherKey])
            arguments += ["--keyfile", sandbox.keyfile]
            let shadowed: String
            if situation == .keyfileFlagBeatsKeyfileVariable {
                environment = ["TOKENVAULT_KEYFILE": otherKey]
                shadowed = "TOKENVAULT_KEYFILE"
            } else {
                let keyLine = try String(contentsOfFile: otherKey, encoding: .utf8).split(separator: "\n").first { !$0.hasPrefix("#") }!
                environment = ["TOKENVAULT_KEYFILE": nil, "TOKENVAULT_KEY": String(keyLine)]
                shadowed = "TOKENVAULT_KEY"
            }
            try sandbox.importProfile("p")
            expected = Expected(status: 0, stderr: ["tokenvault: warning: \(shadowed) ignored: --keyfile comes first"], stdout: ["p"])
        case .vaultFlagBeatsPathVariable:
            let other = sandbox.directory.file("other/tokens.vault")
            try sandbox.expectSuccess(["init"], environment: ["TOKENVAULT_PATH": other])
            try sandbox.importProfile("p")
            environment = ["TOKENVAULT_PATH": other]
            arguments += ["--vault", sandbox.vault]
            expected = Expected(status: 0, stdout: ["p"])
        case .vaultPathTypo:
            environment = ["TOKENVAULT_PATH": home + "/vault/token.vault"]
            expected = Expected(
                status: 15,
                stderr: [
                    "tokenvault: error: OAuth token unavailable: no vault at \(home)/vault/token.vault",
                    "tokenvault: hint: did you mean \(sandbox.vault)? point --vault or TOKENVAULT_PATH at it",
                ],
                absent: ["init"])
        case .vaultPathElsewhere:
            environment = ["TOKENVAULT_PATH": home + "/vault/prod-eu.vault"]
            expected = Expected(
                status: 15,
                stderr: ["tokenvault: hint: create it with 'tokenvault init', then 'tokenvault import PROFILE …'; or use a vault that exists (--vault or TOKENVAULT_PATH): \(sandbox.vault)"])
        }
        let result = try sandbox.run(arguments, environment: environment)
        #expect(result.status == expected.status, "\(result.stderr)")
        for text in expected.stderr { #expect(result.stderr.contains(text), "\(result.stderr)") }
        for text in expected.stdout { #expect(result.stdout.contains(text), "\(result.stdout)") }
        for text in expected.absent { #expect(!result.output.contains(text), "\(result.output)") }
    }

    @Test("the options' help gives the same order as README: a flag before its variables")
    func helpOrder() throws {
        let help = try runProcess(tokenvaultExecutable, ["help", "list"], environment: ["PATH": "/usr/bin:/bin"])
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("The vault: a file, or a PostgreSQL address (postgresql://…, postgres://…, or postgresql: followed by libpq keywords; vault=NAME names the vault, default 'default'; the password belongs in ~/.pgpass, never here). Comes before TOKENVAULT_PATH; without either, $XDG_DATA_HOME/tokenvault/tokens.vault"), "\(text)")
        #expect(text.contains("Comes before TOKENVAULT_KEY, TOKENVAULT_KEY_COMMAND, TOKENVAULT_KEY_CREDENTIAL and TOKENVAULT_KEYFILE; without any of them, $XDG_CONFIG_HOME/tokenvault/key (~/.config/tokenvault/key) if it exists"), "\(text)")
        #expect(text.contains("--key-fd <n> Read the key lines from this inherited file descriptor"), "\(text)")
    }

    @Test("with the default keyfile in place, README's getting started needs no TOKENVAULT_KEYFILE")
    func gettingStartedWithoutVariables() throws {
        let directory = TemporaryDirectory()
        let environment = ["PATH": "/usr/bin:/bin", "HOME": directory.path]
        let key = try runProcess(tokenvaultExecutable, ["keygen", "--output", directory.file(".config/tokenvault/key")], environment: environment)
        #expect(key.status == 0, "\(key.stderr)")
        let created = try runProcess(tokenvaultExecutable, ["init"], environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.file(".local/share/tokenvault/tokens.vault")))
        let listed = try runProcess(tokenvaultExecutable, ["list"], environment: environment)
        #expect(listed.status == 0, "\(listed.stderr)")
    }

    /// The key id a keyfile written by `keygen` names in its comment line.
    static func keyID(of keyfile: String) throws -> String {
        let text = try String(contentsOfFile: keyfile, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("# tokenvault key id ") })
        return String(line.dropFirst("# tokenvault key id ".count))
    }

    static func move(_ source: String, to destination: String) throws {
        try FileManager.default.createDirectory(
            atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.moveItem(atPath: source, toPath: destination)
    }
}
