import Foundation
import Testing

/// The key sources beside keyfiles and TOKENVAULT_KEY, run as a user runs them: a systemd
/// credential, a key command, an inherited file descriptor; their precedence and the warnings
/// about the ones ignored; and never the key in an argument, a log line or an error.
@Suite("key sources: systemd credentials, key commands, --key-fd")
struct KeySourceTests {
    /// The key line of `keyfile` (its last line), to look for where it must not be.
    static func keyLine(of keyfile: String) throws -> String {
        let text = try String(contentsOfFile: keyfile, encoding: .utf8)
        return try #require(text.split(separator: "\n").last { $0.hasPrefix("tokenvault-key-v1:") }.map(String.init))
    }

    /// A folder as systemd's LoadCredential= leaves it: `name` holding `keyfile`'s key, 0400, in a
    /// folder of mode 0500.
    static func credentialsDirectory(in sandbox: Sandbox, name: String = "tokenvault-key", keyfile: String? = nil,
                                     fileMode: Int = 0o400, folderMode: Int = 0o500) throws -> String {
        let folder = sandbox.directory.file("credentials-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let contents = try Data(contentsOf: URL(fileURLWithPath: keyfile ?? sandbox.keyfile))
        try #require(FileManager.default.createFile(atPath: folder + "/" + name, contents: contents, attributes: [.posixPermissions: fileMode]))
        try FileManager.default.setAttributes([.posixPermissions: folderMode], ofItemAtPath: folder)
        return folder
    }

    /// Runs `tokenvault list` with `environment` over the sandbox's (without its keyfile) and
    /// checks that the key is nowhere in what it printed, even with every log line on.
    static func list(_ sandbox: Sandbox, _ environment: [String: String?], arguments: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        var overrides: [String: String?] = ["TOKENVAULT_KEYFILE": nil, "TOKENVAULT_LOG_LEVEL": "trace"]
        for (name, value) in environment { overrides[name] = value }
        let result = try sandbox.run(["list"] + arguments, environment: overrides, sourceLocation: sourceLocation)
        let key = try keyLine(of: sandbox.keyfile)
        let keyBytes = String(key.dropFirst("tokenvault-key-v1:".count))
        #expect(!result.output.contains(keyBytes), "the key showed in the output", sourceLocation: sourceLocation)
        return result
    }

    // MARK: systemd credentials

    @Test("a credential as LoadCredential= leaves it (0400 file, 0500 folder) opens the vault, and TOKENVAULT_KEY_CREDENTIAL is named nowhere but where it should be")
    func credentialServesTheKey() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let folder = try Self.credentialsDirectory(in: sandbox)
        let result = try Self.list(sandbox, ["CREDENTIALS_DIRECTORY": folder, "TOKENVAULT_KEY_CREDENTIAL": "tokenvault-key"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("p"))
        #expect(!result.stderr.contains("warning"), "\(result.stderr)")
    }

    enum CredentialFault: String, CaseIterable, CustomTestStringConvertible {
        case notUnderSystemd, nameWithSlash, dotDot, missing, fileReadableByGroup, fileIsSymlink, folderWritableByOthers
        var testDescription: String { rawValue }
    }

    @Test("a credential that is not there, not named as a file, or not as systemd makes it is refused with what is wrong and how to fix it",
          arguments: CredentialFault.allCases)
    func credentialRefused(_ fault: CredentialFault) throws {
        let sandbox = try Sandbox()
        var name = "tokenvault-key"
        var folder = try Self.credentialsDirectory(in: sandbox)
        let status: Int32
        let error: String
        let hint: String
        switch fault {
        case .notUnderSystemd:
            status = 10
            error = "TOKENVAULT_KEY_CREDENTIAL=tokenvault-key is set but CREDENTIALS_DIRECTORY is not: not running under systemd with LoadCredential="
            hint = "LoadCredential=tokenvault-key:"
        case .nameWithSlash:
            name = "sub/tokenvault-key"
            status = 10
            error = "TOKENVAULT_KEY_CREDENTIAL='sub/tokenvault-key' is not a credential name"
            hint = "LoadCredential=NAME"
        case .dotDot:
            name = ".."
            status = 10
            error = "TOKENVAULT_KEY_CREDENTIAL='..' is not a credential name"
            hint = "LoadCredential=NAME"
        case .missing:
            name = "other-key"
            status = 10
            error = "there is no credential other-key in \(folder) (CREDENTIALS_DIRECTORY)"
            hint = "add LoadCredential=other-key:/etc/credstore/other-key"
        case .fileReadableByGroup:
            folder = try Self.credentialsDirectory(in: sandbox, fileMode: 0o440)
            status = 14
            error = "\(folder)/tokenvault-key"
            hint = "chmod"
        case .fileIsSymlink:
            folder = try Self.credentialsDirectory(in: sandbox, name: "real-key")
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder)
            try FileManager.default.createSymbolicLink(atPath: folder + "/tokenvault-key", withDestinationPath: folder + "/real-key")
            try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: folder)
            status = 14
            error = "\(folder)/tokenvault-key"
            hint = "tokenvault: hint:"
        case .folderWritableByOthers:
            folder = try Self.credentialsDirectory(in: sandbox, folderMode: 0o777)
            status = 14
            error = "the credentials folder \(folder) has mode 0777: others could put a key of theirs there"
            hint = "CREDENTIALS_DIRECTORY must be the folder systemd made for the service (mode 0500)"
        }
        let directory: String? = fault == .notUnderSystemd ? nil : folder
        let result = try Self.list(sandbox, ["CREDENTIALS_DIRECTORY": directory, "TOKENVAULT_KEY_CREDENTIAL": name])
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: error: " + error), "\(result.stderr)")
        #expect(result.stderr.contains(hint), "\(result.stderr)")
    }

    /// Sets a POSIX access ACL on `path` as setfacl would: `entries` are (tag, permissions, id)
    /// with the kernel's tags (1 owner, 2 user, 4 owning group, 8 group, 0x10 mask, 0x20 others).
    static func setAccessControl(_ path: String, _ entries: [(UInt16, UInt16, UInt32)]) throws -> Bool {
        var bytes: [UInt8] = [2, 0, 0, 0]
        for (tag, permissions, id) in entries {
            bytes += withUnsafeBytes(of: tag.littleEndian, Array.init) + withUnsafeBytes(of: permissions.littleEndian, Array.init)
                + withUnsafeBytes(of: id.littleEndian, Array.init)
        }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let script = "import os, sys; os.setxattr(sys.argv[1], 'system.posix_acl_access', bytes.fromhex(sys.argv[2]))"
        return try runProcess("/usr/bin/python3", ["-c", script, path, hex], environment: ["PATH": "/usr/bin:/bin"]).status == 0
    }

    enum ServiceCredential: String, CaseIterable, CustomTestStringConvertible {
        case ownedByServiceUser, rootsWithACL, rootsWithACLForAGroupToo, rootsWithACLForAnotherUserToo, rootsWritableWithACL
        var testDescription: String { rawValue }
    }

    @Test("as a service user (nobody): the credential as systemd writes it, the user's own or root's with an ACL for the user alone, opens the vault; an ACL that lets anyone else read it is refused",
          .enabled(if: geteuid() == 0, "needs root, to make files of root's and of nobody's and to run tokenvault as nobody"),
          arguments: ServiceCredential.allCases)
    func serviceCredential(_ shape: ServiceCredential) throws {
        let nobody = try #require(getpwnam("nobody")).pointee
        let (uid, gid) = (nobody.pw_uid, nobody.pw_gid)
        let root = TemporaryDirectory()
        #expect(chmod(root.path, 0o711) == 0)
        let state = root.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        #expect(chown(state, uid, gid) == 0 && chmod(state, 0o700) == 0)
        let keyfile = root.file("key")
        #expect(try runProcess(tokenvaultExecutable, ["keygen", "--output", keyfile], environment: ["PATH": "/usr/bin:/bin"]).status == 0)
        let keyText = try String(contentsOfFile: keyfile, encoding: .utf8)
        var environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "TOKENVAULT_PATH": state + "/tokens.vault"]
        func asService(_ arguments: [String], stdin: String? = nil) throws -> RunResult {
            try runProcess("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", tokenvaultExecutable] + arguments,
                           environment: environment, stdin: stdin)
        }
        let created = try asService(["init", "--key-fd", "0"], stdin: keyText)
        try #require(created.status == 0, "\(created.output)")

        let folder = root.file("credentials")
        let credential = folder + "/tokenvault-key"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        #expect(FileManager.default.createFile(atPath: credential, contents: Data(keyText.utf8), attributes: [.posixPermissions: 0o400]))
        #expect(chmod(folder, 0o500) == 0)
        let (owner, user, owningGroup, group, mask, others): (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (1, 2, 4, 8, 0x10, 0x20)
        let none = UInt32.max
        var refused = true
        switch shape {
        case .ownedByServiceUser:
            #expect(chown(credential, uid, gid) == 0 && chown(folder, uid, gid) == 0)
            refused = false
        case .rootsWithACL, .rootsWithACLForAGroupToo, .rootsWithACLForAnotherUserToo, .rootsWritableWithACL:
            #expect(try Self.setAccessControl(folder, [(owner, 5, none), (user, 5, uid), (owningGroup, 0, none), (mask, 5, none), (others, 0, none)]))
            var entries: [(UInt16, UInt16, UInt32)] = [(owner, 4, none), (user, 4, uid), (owningGroup, 0, none), (mask, 4, none), (others, 0, none)]
            if shape == .rootsWithACL { refused = false }
            if shape == .rootsWithACLForAGroupToo { entries.insert((group, 4, 0), at: 3) }
            if shape == .rootsWithACLForAnotherUserToo { entries.insert((user, 4, 1), at: 2) }
            if shape == .rootsWritableWithACL { entries = [(owner, 6, none), (user, 4, uid), (owningGroup, 0, none), (mask, 4, none), (others, 0, none)] }
            #expect(try Self.setAccessControl(credential, entries))
        }
        environment["CREDENTIALS_DIRECTORY"] = folder
        environment["TOKENVAULT_KEY_CREDENTIAL"] = "tokenvault-key"
        let listed = try asService(["list"])
        if refused {
            #expect(listed.status == 14, "\(listed.output)")
            #expect(listed.stderr.contains("tokenvault: error: \(credential)"), "\(listed.stderr)")
        } else {
            #expect(listed.status == 0, "\(listed.output)")
        }
        #expect(!listed.output.contains(keyText.split(separator: "\n").last.map(String.init) ?? "-"))
    }

    // MARK: key commands

    @Test("a key command that prints the key opens the vault; it runs without a shell, with its words as written, stdin /dev/null and its stderr shown")
    func keyCommandServesTheKey() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let script = #"printf '[%s]' "$0" "$@" >&2; readlink /proc/self/fd/0 >&2; cat "$KEY_PATH""#
        let command = "sh -c '\(script)' first \"two words\" back\\ slash"
        let result = try Self.list(sandbox, ["TOKENVAULT_KEY_COMMAND": command, "KEY_PATH": sandbox.keyfile])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("p"))
        #expect(result.stderr.contains("[first][two words][back slash]"), "\(result.stderr)")
        #expect(result.stderr.contains("/dev/null"), "\(result.stderr)")
    }

    enum CommandFault: String, CaseIterable, CustomTestStringConvertible {
        case exitsWith3, killed, prints100KiB, hangs, notFound, unclosedQuote, printsNoKey
        var testDescription: String { rawValue }
    }

    @Test("a key command that fails, is killed, prints too much, hangs past its limit or prints no key: exit 10, the program named, why, and the hint",
          arguments: CommandFault.allCases)
    func keyCommandRefused(_ fault: CommandFault) throws {
        let sandbox = try Sandbox()
        let pidFile = sandbox.directory.file("background.pid")
        var environment: [String: String?] = [:]
        let command: String
        let error: String
        let hint: String
        switch fault {
        case .exitsWith3:
            command = "sh -c 'echo the command speaks >&2; exit 3'"
            error = "the key command (TOKENVAULT_KEY_COMMAND) 'sh' exited with status 3"
            hint = "to see why it fails"
        case .killed:
            command = "sh -c 'kill -9 $$'"
            error = "the key command (TOKENVAULT_KEY_COMMAND) 'sh' was killed by signal 9"
            hint = "to see why it fails"
        case .prints100KiB:
            command = "head -c 102400 /dev/zero"
            error = "the key command (TOKENVAULT_KEY_COMMAND) 'head' printed more than 64 KiB and was killed"
            hint = "it must print key lines and nothing else"
        case .hangs:
            // A child in the background too: the whole process group goes.
            command = "sh -c 'sleep 60 & echo $! > \"$0\"; wait' \(pidFile)"
            environment["TOKENVAULT_KEY_COMMAND_TIMEOUT"] = "1"
            error = "the key command (TOKENVAULT_KEY_COMMAND) 'sh' was still running after 1 s and was killed"
            hint = "TOKENVAULT_KEY_COMMAND_TIMEOUT=SECONDS"
        case .notFound:
            command = "no-such-key-program --get key"
            error = "the key command (TOKENVAULT_KEY_COMMAND) 'no-such-key-program' could not be started"
            hint = "give TOKENVAULT_KEY_COMMAND the full path of the program"
        case .unclosedQuote:
            command = "pass show 'tokenvault/key"
            error = "the key command (TOKENVAULT_KEY_COMMAND) has a quote that is not closed"
            hint = "no shell"
        case .printsNoKey:
            command = "echo not-a-key-\(secretMarker)"
            error = "line 1 of the output of TOKENVAULT_KEY_COMMAND is not a tokenvault key"
            hint = "it must print key lines and nothing else"
        }
        environment["TOKENVAULT_KEY_COMMAND"] = command
        let started = Date()
        let result = try Self.list(sandbox, environment)
        #expect(result.status == 10, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: error: " + error), "\(result.stderr)")
        #expect(result.stderr.contains(hint), "\(result.stderr)")
        if fault != .unclosedQuote && fault != .notFound {
            // Only the program is named: never the rest of the command line.
            #expect(!result.stderr.contains(command), "\(result.stderr)")
        }
        switch fault {
        case .exitsWith3:
            #expect(result.stderr.contains("the command speaks\n"), "its stderr is passed through: \(result.stderr)")
        case .hangs:
            #expect(Date().timeIntervalSince(started) < 20)
            let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            // Killed with its group: gone, or a zombie no one reaped yet (PID 1 here may not reap).
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).map { $0.split(separator: ")").last?.split(separator: " ").first ?? "" }
            #expect(state == nil || state == "Z", "the background child of the key command still runs (state \(state ?? "-"))")
        default:
            break
        }
    }

    @Test("TOKENVAULT_KEY_COMMAND_TIMEOUT that is not 1 to 600 whole seconds is a usage error")
    func badCommandTimeout() throws {
        let sandbox = try Sandbox()
        let result = try Self.list(sandbox, ["TOKENVAULT_KEY_COMMAND": "cat \(sandbox.keyfile)", "TOKENVAULT_KEY_COMMAND_TIMEOUT": "0.5"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("tokenvault: error: TOKENVAULT_KEY_COMMAND_TIMEOUT='0.5' is not a whole number of seconds from 1 to 600"), "\(result.stderr)")
    }

    @Test("systemd-creds encrypt --with-key=host, then the key command systemd-creds decrypt opens the vault",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-creds") && geteuid() == 0,
                   "needs /usr/bin/systemd-creds (apt-get install systemd) and root: --with-key=host reads, or on first use creates, /var/lib/systemd/credential.secret, which only root may"))
    func systemdCreds() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let encrypted = sandbox.directory.file("tokenvault-key.cred")
        let encryption = try runProcess("/usr/bin/systemd-creds", ["encrypt", "--with-key=host", "--name=tokenvault-key", sandbox.keyfile, encrypted],
                                        environment: ["PATH": "/usr/bin:/bin"])
        try #require(encryption.status == 0, "systemd-creds encrypt failed: \(encryption.stderr)")
        let sealed = try String(decoding: Data(contentsOf: URL(fileURLWithPath: encrypted)), as: UTF8.self)
        #expect(!sealed.contains(try Self.keyLine(of: sandbox.keyfile)))
        let opened = try Self.list(sandbox, ["TOKENVAULT_KEY_COMMAND": "systemd-creds decrypt --name=tokenvault-key \(encrypted) -"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout.contains("p"))
        // The name is part of what is authenticated: another name does not decrypt.
        let refused = try Self.list(sandbox, ["TOKENVAULT_KEY_COMMAND": "systemd-creds decrypt --name=other-key \(encrypted) -"])
        #expect(refused.status == 10)
        #expect(refused.stderr.contains("tokenvault: error: the key command (TOKENVAULT_KEY_COMMAND) 'systemd-creds' exited with status 1"), "\(refused.stderr)")
    }

    @Test("tokenvault token runs the key command once (the front hands it to the full command), and exec passes on no key source")
    func keyCommandThroughTokenAndExec() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let runs = sandbox.directory.file("runs")
        let command = "sh -c 'echo run >> \"$0\"; cat \"$1\"' \(runs) \(sandbox.keyfile)"
        let environment: [String: String?] = ["TOKENVAULT_KEYFILE": nil, "TOKENVAULT_KEY_COMMAND": command]
        let token = try sandbox.run(["token", "p"], environment: environment, secretOnStdout: true)
        #expect(token.status == 0, "\(token.stderr)")
        #expect(token.stdout == "\(secretMarker)-access-p\n")
        #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\n")
        let folder = try Self.credentialsDirectory(in: sandbox)
        let exec = try sandbox.run(["exec", "p", "--", "/usr/bin/env"],
                                   environment: environment.merging(["TOKENVAULT_KEY_CREDENTIAL": "tokenvault-key", "CREDENTIALS_DIRECTORY": folder]) { $1 },
                                   secretOnStdout: true)
        #expect(exec.status == 0, "\(exec.stderr)")
        #expect(exec.stdout.contains("MCP_ACCESS_TOKEN="))
        #expect(!exec.stdout.contains("TOKENVAULT_KEY"), "\(exec.stdout)")
    }

    @Test("a key command or credential that gives another key: exit 11, and the hint names them beside keyfiles")
    func wrongKeyFromASource() throws {
        let sandbox = try Sandbox()
        let wrong = sandbox.directory.file("wrong.key")
        try sandbox.expectSuccess(["keygen", "--output", wrong])
        let folder = try Self.credentialsDirectory(in: sandbox, keyfile: wrong)
        for environment: [String: String?] in [["TOKENVAULT_KEY_COMMAND": "cat \(wrong)"], ["TOKENVAULT_KEY_CREDENTIAL": "tokenvault-key", "CREDENTIALS_DIRECTORY": folder]] {
            let result = try Self.list(sandbox, environment)
            #expect(result.status == 11, "\(result.stderr)")
            #expect(result.stderr.contains("or make TOKENVAULT_KEY_COMMAND or TOKENVAULT_KEY_CREDENTIAL give that key"), "\(result.stderr)")
        }
    }

    // MARK: --key-fd

    @Test("--key-fd reads the key from a pipe on an inherited descriptor")
    func keyDescriptorPipe() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        // fd 3 is the read end of a pipe cat writes the key into; stdin is /dev/null.
        let environment = sandbox.environment.filter { $0.key != "TOKENVAULT_KEYFILE" }
        let result = try runProcess("/bin/sh", ["-c", #"cat "$1" | "$0" list --key-fd 3 3<&0 </dev/null"#, tokenvaultExecutable, sandbox.keyfile],
                                    environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("p"))
        #expect(!result.output.contains(try Self.keyLine(of: sandbox.keyfile)))
    }

    @Test("--key-fd's descriptor is closed once read: a program tokenvault exec starts does not inherit it")
    func keyDescriptorClosed() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let environment = sandbox.environment.filter { $0.key != "TOKENVAULT_KEYFILE" }
        let script = #"exec "$0" exec p --key-fd 7 -- /bin/ls /proc/self/fd 7<"$1""#
        let result = try runProcess("/bin/sh", ["-c", script, tokenvaultExecutable, sandbox.keyfile], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let open = result.stdout.split(separator: "\n").map(String.init)
        #expect(open.contains("0") && open.contains("2"), "\(result.stdout)")
        #expect(!open.contains("7"), "the key's descriptor reached the program: \(result.stdout)")
    }

    @Test("--key-fd on a descriptor that is not open: exit 10 and how to open one; with --keyfile too: a usage error")
    func keyDescriptorRefused() throws {
        let sandbox = try Sandbox()
        let closed = try Self.list(sandbox, [:], arguments: ["--key-fd", "9"])
        #expect(closed.status == 10)
        #expect(closed.stderr.contains("tokenvault: error: cannot read the key from file descriptor 9 (--key-fd): Bad file descriptor"), "\(closed.stderr)")
        #expect(closed.stderr.contains("tokenvault: hint: open the descriptor for tokenvault, e.g. 'tokenvault list --key-fd 3 3<KEYFILE'"), "\(closed.stderr)")
        let both = try Self.list(sandbox, [:], arguments: ["--key-fd", "0", "--keyfile", sandbox.keyfile])
        #expect(both.status == 64)
        #expect(both.stderr.contains("give --keyfile or --key-fd, not both"), "\(both.stderr)")
    }

    // MARK: precedence

    enum Precedence: String, CaseIterable, CustomTestStringConvertible {
        case keyDescriptorBeforeKeyVariable, keyVariableBeforeCommand, commandBeforeCredentialAndKeyfile, credentialBeforeKeyfile
        var testDescription: String { rawValue }
    }

    @Test("the first source set is used (the others hold a wrong key, or a command that must not run), and each one ignored gets a warning",
          arguments: Precedence.allCases)
    func precedence(_ order: Precedence) throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let wrong = sandbox.directory.file("wrong.key")
        try sandbox.expectSuccess(["keygen", "--output", wrong])
        let ran = sandbox.directory.file("command-ran")
        let right = try Self.keyLine(of: sandbox.keyfile)
        let wrongLine = try Self.keyLine(of: wrong)
        let wrongCredentials = try Self.credentialsDirectory(in: sandbox, keyfile: wrong)
        let rightCredentials = try Self.credentialsDirectory(in: sandbox)
        var environment: [String: String?] = [:]
        var arguments: [String] = []
        var stdin: String?
        let warnings: [String]
        switch order {
        case .keyDescriptorBeforeKeyVariable:
            arguments = ["--key-fd", "0"]
            stdin = right + "\n"
            environment = ["TOKENVAULT_KEY": wrongLine]
            warnings = ["TOKENVAULT_KEY ignored: --key-fd comes first"]
        case .keyVariableBeforeCommand:
            environment = ["TOKENVAULT_KEY": right, "TOKENVAULT_KEY_COMMAND": "touch \(ran)"]
            warnings = ["TOKENVAULT_KEY_COMMAND ignored: TOKENVAULT_KEY comes first"]
        case .commandBeforeCredentialAndKeyfile:
            environment = [
                "TOKENVAULT_KEY_COMMAND": "cat \(sandbox.keyfile)",
                "TOKENVAULT_KEY_CREDENTIAL": "tokenvault-key", "CREDENTIALS_DIRECTORY": wrongCredentials,
                "TOKENVAULT_KEYFILE": wrong,
            ]
            warnings = ["TOKENVAULT_KEY_CREDENTIAL ignored: TOKENVAULT_KEY_COMMAND comes first", "TOKENVAULT_KEYFILE ignored: TOKENVAULT_KEY_COMMAND comes first"]
        case .credentialBeforeKeyfile:
            environment = ["TOKENVAULT_KEY_CREDENTIAL": "tokenvault-key", "CREDENTIALS_DIRECTORY": rightCredentials, "TOKENVAULT_KEYFILE": wrong]
            warnings = ["TOKENVAULT_KEYFILE ignored: TOKENVAULT_KEY_CREDENTIAL comes first"]
        }
        var overrides: [String: String?] = ["TOKENVAULT_KEYFILE": nil]
        for (name, value) in environment { overrides[name] = value }
        let result = try sandbox.run(["list"] + arguments, stdin: stdin, environment: overrides)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("p"))
        #expect(!FileManager.default.fileExists(atPath: ran), "a shadowed key command ran")
        let warned = result.stderr.split(separator: "\n").filter { $0.hasPrefix("tokenvault: warning:") }.map(String.init)
        #expect(warned == warnings.map { "tokenvault: warning: " + $0 }, "\(result.stderr)")
        #expect(!result.output.contains(right) && !result.output.contains(wrongLine))
    }
}
