import Foundation
import Testing

/// `tokenvault keyfile list|add|remove`: a keyfile edited without a text editor, atomically and
/// 0600, with the refusals that keep a fleet's keyfiles usable.
@Suite("keyfile")
struct KeyfileCommandTests {
    private func newKey(_ sandbox: Sandbox, _ name: String) throws -> (path: String, id: String) {
        let path = sandbox.directory.file(name)
        let result = try sandbox.expectSuccess(["keygen", "--output", path])
        let id = try #require(result.stderr.split(separator: "(id ").last?.split(separator: ")").first).description
        return (path, id)
    }

    private func ids(_ sandbox: Sandbox, _ keyfile: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try sandbox.expectSuccess(["keyfile", "list", keyfile], sourceLocation: sourceLocation).stdout
    }

    private func copy(_ from: String, to: String) throws {
        try FileManager.default.copyItem(atPath: from, toPath: to)
        #expect(chmod(to, 0o600) == 0)
    }

    @Test("list prints each key id, the sealing key first")
    func list() throws {
        let sandbox = try Sandbox()
        let old = try #require(try ids(sandbox, sandbox.keyfile).split(separator: " ").first).description
        #expect(try ids(sandbox, sandbox.keyfile) == "\(old) seals\n")
    }

    @Test("add --first puts the new key first: it seals the next write, the old key still opens, the file stays 0600")
    func addFirst() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let old = try #require(try ids(sandbox, sandbox.keyfile).split(separator: " ").first).description
        let new = try newKey(sandbox, "new.key")
        let fleet = sandbox.directory.file("fleet.key")
        try copy(sandbox.keyfile, to: fleet)

        let added = try sandbox.expectSuccess(["keyfile", "add", fleet, "--from", new.path, "--first"])
        #expect(added.stdout == "\(new.id) seals\n\(old) opens\n")
        #expect(added.stderr == "tokenvault: added key id \(new.id) first in \(fleet); it seals from now on; it holds 2 keys:\n")
        #expect(sandbox.mode(of: fleet) == 0o600)
        #expect(try ids(sandbox, fleet) == "\(new.id) seals\n\(old) opens\n")
        // No temp file is left beside it.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: sandbox.directory.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)

        // The two-key keyfile opens the vault sealed with the old key, and its next write seals with the new one.
        try sandbox.expectSuccess(["set", "p", "--resource", "https://mcp.example.com/mcp"], environment: ["TOKENVAULT_KEYFILE": fleet])
        let status = try sandbox.expectSuccess(["status", "--json"], environment: ["TOKENVAULT_KEYFILE": new.path])
        #expect(status.stdout.contains(#""sealed_with_key_id":"\#(new.id)""#))
    }

    @Test("add --last keeps the sealing key first; the default is --first")
    func addLast() throws {
        let sandbox = try Sandbox()
        let old = try #require(try ids(sandbox, sandbox.keyfile).split(separator: " ").first).description
        let new = try newKey(sandbox, "new.key")
        try sandbox.expectSuccess(["keyfile", "add", sandbox.keyfile, "--from", new.path, "--last"])
        #expect(try ids(sandbox, sandbox.keyfile) == "\(old) seals\n\(new.id) opens\n")
        #expect(sandbox.mode(of: sandbox.keyfile) == 0o600)
        let third = try newKey(sandbox, "third.key")
        try sandbox.expectSuccess(["keyfile", "add", sandbox.keyfile, "--from", third.path])
        #expect(try ids(sandbox, sandbox.keyfile) == "\(third.id) seals\n\(old) opens\n\(new.id) opens\n")
    }

    @Test("the key rotation runbook with keyfile add and remove: after it, only the new key opens the vault")
    func rotationRunbook() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let old = try #require(try ids(sandbox, sandbox.keyfile).split(separator: " ").first).description
        let new = try newKey(sandbox, "new.key")
        try sandbox.expectSuccess(["keyfile", "add", sandbox.keyfile, "--from", new.path, "--first"])
        try sandbox.expectSuccess(["rotate-key", "--new-keyfile", new.path])
        let removed = try sandbox.expectSuccess(["keyfile", "remove", sandbox.keyfile, old])
        #expect(removed.stdout == "\(new.id) seals\n")
        #expect(removed.stderr == "tokenvault: removed key id \(old) from \(sandbox.keyfile); it holds 1 key:\n")
        #expect(sandbox.mode(of: sandbox.keyfile) == 0o600)
        let status = try sandbox.expectSuccess(["status", "--json"])
        #expect(status.stdout.contains(#""sealed_with_key_id":"\#(new.id)","sealed_with_current_key":true"#))
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let status: Int32
        let message: String
        var testDescription: String { name }
    }

    @Test("refusals leave the keyfile as it was, each with its exit code", arguments: [
        Refusal(name: "a key the keyfile already holds", status: 16, message: "tokenvault: error: KEYFILE already holds key id OLD; nothing was written"),
        Refusal(name: "dropping the last key", status: 64, message: "tokenvault: error: key id OLD is the only key in KEYFILE; a keyfile without a key opens nothing"),
        Refusal(name: "an unknown key id", status: 64, message: "tokenvault: error: KEYFILE holds no key with id '0123456789abcdef' (it holds OLD)"),
        Refusal(name: "a 0644 keyfile (what cat new old > k leaves)", status: 14, message: "tokenvault: error: KEYFILE has mode 0644; it must be private to its owner (0600)\ntokenvault: hint: chmod 600 KEYFILE"),
        Refusal(name: "a symbolic link", status: 14, message: "tokenvault: error: LINK is a symbolic link; an edit would replace the link, not the keyfile it points to"),
        Refusal(name: "--first and --last together", status: 64, message: "Error: give --first or --last, not both"),
    ])
    func refused(_ test: Refusal) throws {
        let sandbox = try Sandbox()
        let old = try #require(try ids(sandbox, sandbox.keyfile).split(separator: " ").first).description
        let keyfile = sandbox.keyfile
        let link = sandbox.directory.file("link.key")
        #expect(symlink(keyfile, link) == 0)
        let new = try newKey(sandbox, "new.key")
        let arguments: [String]
        switch test.name {
        case "a key the keyfile already holds": arguments = ["keyfile", "add", keyfile, "--from", keyfile]
        case "dropping the last key": arguments = ["keyfile", "remove", keyfile, old]
        case "an unknown key id": arguments = ["keyfile", "remove", keyfile, "0123456789abcdef"]
        case "a 0644 keyfile (what cat new old > k leaves)":
            #expect(chmod(keyfile, 0o644) == 0)
            arguments = ["keyfile", "add", keyfile, "--from", new.path]
        case "a symbolic link": arguments = ["keyfile", "add", link, "--from", new.path]
        default: arguments = ["keyfile", "add", keyfile, "--from", new.path, "--first", "--last"]
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: keyfile))
        let result = try sandbox.run(arguments)
        #expect(result.status == test.status, "\(result.output)")
        let message = test.message.replacingOccurrences(of: "KEYFILE", with: keyfile).replacingOccurrences(of: "OLD", with: old)
            .replacingOccurrences(of: "LINK", with: link)
        #expect(result.stderr.hasPrefix(message), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyfile)) == before)
    }

    @Test("a keyfile of another user is refused, named by its owner (as root; skipped otherwise)")
    func foreign() throws {
        guard geteuid() == 0 else { return }
        let sandbox = try Sandbox()
        let new = try newKey(sandbox, "new.key")
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        #expect(chown(sandbox.keyfile, nobody, nobody) == 0)
        let result = try sandbox.run(["keyfile", "add", sandbox.keyfile, "--from", new.path])
        #expect(result.status == 14)
        #expect(result.stderr.hasPrefix("tokenvault: error: \(sandbox.keyfile) belongs to user 'nobody' (uid \(nobody)), not to you"), "\(result.stderr)")
    }

    @Test("when the new keyfile cannot be written (a folder that takes no new file), the old one is left intact and no temp file stays")
    func failedWriteKeepsOld() throws {
        let sandbox = try Sandbox()
        let folder = sandbox.directory.file("keys")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let keyfile = folder + "/key"
        try copy(sandbox.keyfile, to: keyfile)
        let new = try newKey(sandbox, "new.key")
        let before = try Data(contentsOf: URL(fileURLWithPath: keyfile))
        // chmod 0500 stops anyone but root; the immutable attribute stops root as well.
        #expect(chmod(folder, 0o500) == 0)
        let immutable = geteuid() == 0
        if immutable { #expect(try runProcess("/usr/bin/chattr", ["+i", folder], environment: [:]).status == 0) }
        defer {
            if immutable { _ = try? runProcess("/usr/bin/chattr", ["-i", folder], environment: [:]) }
            chmod(folder, 0o700)
        }
        let result = try sandbox.run(["keyfile", "add", keyfile, "--from", new.path])
        #expect(result.status == 17, "\(result.output)")
        #expect(result.stderr.hasPrefix("tokenvault: error: cannot create \(folder)/.key.tmp-"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyfile)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["key"])
        #expect(sandbox.mode(of: keyfile) == 0o600)
    }
}
