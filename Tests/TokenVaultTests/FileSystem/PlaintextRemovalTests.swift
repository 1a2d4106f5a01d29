import Foundation
import SystemPackage
import Testing
@testable import TokenVault

/// `--remove-plaintext` overwrites and removes the file that was read, and nothing else.
@Suite("plaintext removal")
struct PlaintextRemovalTests {
    private let legacyJSON = #"{"access_token":"\#(secretMarker)-old-at","refresh_token":"\#(secretMarker)-old-rt","expires_in":3600}"#
    private let importArguments = ["import", "admin", "--token-endpoint", "https://auth.example.com/token", "--client-id", "abc"]

    private func write(_ path: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    }

    private func contents(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("a file renamed over the path while import waited for the lock is left alone, with its other link, and the command says so")
    func renamedOverWhileWaiting() throws {
        let sandbox = try Sandbox()
        let legacy = sandbox.directory.file(".mcp_tokens_admin.json")
        write(legacy, legacyJSON)
        let notes = sandbox.directory.file("notes.txt")
        let notesLink = sandbox.directory.file("notes-link.txt")
        write(notes, "someone else's notes\n")
        #expect(link(notes, notesLink) == 0)

        let release = try sandbox.holdWriterLock()
        let run = BackgroundRun(importArguments + ["--from", legacy, "--remove-plaintext"], environment: sandbox.environment, in: sandbox.directory)
        // Once the import has the writer lock file open it has read its input and waits for the lock.
        let waiting = run.waitUntilOpen(sandbox.vault + ".lock")
        #expect(rename(notes, legacy) == 0)
        release()
        let result = try run.wait()
        #expect(waiting, "the import never opened the lock file")
        #expect(!result.output.contains(secretMarker))
        #expect(result.status == 17, "\(result.output)")
        #expect(result.stderr.contains("tokenvault: error: did not overwrite or remove \(legacy): it is no longer the file that was read"))
        #expect(result.stderr.contains("was not removed"))
        #expect(!result.stderr.contains("overwrote and removed"))
        #expect(contents(legacy) == "someone else's notes\n")
        #expect(contents(notesLink) == "someone else's notes\n")
        #expect(try sandbox.profileNames() == ["admin"])
    }

    /// Rewrites `path` in place, as Node's writeFileSync does: the same inode, truncated and written.
    private func rewriteInPlace(_ path: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    private let rotatedJSON = #"{"access_token":"\#(secretMarker)-new-at","refresh_token":"\#(secretMarker)-new-rt","expires_in":3600}"#

    @Test("a file rewritten in place while import waited for the lock is neither sealed nor removed, and the command says it changed")
    func rewrittenInPlaceWhileWaiting() throws {
        let sandbox = try Sandbox()
        let legacy = sandbox.directory.file(".mcp_tokens_admin.json")
        write(legacy, legacyJSON)
        let inode = try FileManager.default.attributesOfItem(atPath: legacy)[.systemFileNumber] as? Int

        let release = try sandbox.holdWriterLock()
        let run = BackgroundRun(importArguments + ["--from", legacy, "--remove-plaintext"], environment: sandbox.environment, in: sandbox.directory)
        let waiting = run.waitUntilOpen(sandbox.vault + ".lock")
        try rewriteInPlace(legacy, rotatedJSON)
        release()
        let result = try run.wait()
        #expect(waiting, "the import never opened the lock file")
        #expect(try FileManager.default.attributesOfItem(atPath: legacy)[.systemFileNumber] as? Int == inode)
        #expect(!result.output.contains(secretMarker))
        #expect(result.status == 17, "\(result.output)")
        #expect(result.stderr.contains("tokenvault: error: \(legacy) changed after it was read and may hold newer tokens than the ones read; nothing was imported"), "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: hint: stop the app that rewrote it, then import it again ('tokenvault import admin --from \(legacy)"), "\(result.stderr)")
        #expect(!result.stderr.contains("overwrote and removed"))
        #expect(contents(legacy) == rotatedJSON)
        #expect(try sandbox.profileNames() == [])
    }

    @Test("a file rewritten in place after it was read is not overwritten or removed, with the same or another size",
          arguments: [false, true])
    func rewrittenBeforeScrub(sameSize: Bool) throws {
        let directory = TemporaryDirectory()
        let path = directory.file("tokens.json")
        write(path, legacyJSON)
        var file = try PlaintextFile(opening: FilePath(path), forRemoval: true)
        _ = try file.read()
        let rotated = sameSize ? legacyJSON.replacingOccurrences(of: "-old-", with: "-new-") : rotatedJSON
        try rewriteInPlace(path, rotated)
        do {
            try file.scrubAndRemove()
            Issue.record("a file rewritten since it was read was overwritten and removed")
        } catch {
            #expect("\(error)" == "did not overwrite or remove \(path): it changed after it was read and may hold newer tokens than the ones read; it is left as it is")
        }
        #expect(contents(path) == rotated)
    }

    @Test("a plaintext file with another hard link is neither overwritten nor removed, and the import says which link count kept it")
    func otherHardLink() throws {
        let sandbox = try Sandbox()
        let legacy = sandbox.directory.file(".mcp_tokens_admin.json")
        let backup = sandbox.directory.file("backup.json")
        write(legacy, legacyJSON)
        #expect(link(legacy, backup) == 0)
        let result = try sandbox.run(importArguments + ["--from", legacy, "--remove-plaintext"])
        #expect(result.status == 17, "\(result.output)")
        #expect(result.stderr.contains("did not overwrite or remove \(legacy): it has 1 other hard link"))
        #expect(result.stderr.contains("tokenvault: hint: find every name with 'find / -xdev -samefile \(legacy)'"))
        #expect(contents(legacy) == legacyJSON)
        #expect(contents(backup) == legacyJSON)
        #expect(try sandbox.profileNames() == ["admin"])
    }

    @Test("audit --fix --remove-plaintext leaves an imported plaintext file with another hard link and says why")
    func auditOtherHardLink() throws {
        let sandbox = try Sandbox()
        let legacy = sandbox.directory.file("vault/.mcp_tokens_admin.json")
        let elsewhere = sandbox.directory.file("elsewhere.json")
        write(legacy, legacyJSON)
        try sandbox.expectSuccess(importArguments + ["--from", legacy])
        #expect(link(legacy, elsewhere) == 0)
        let result = try sandbox.run(["audit", "--fix", "--remove-plaintext"])
        #expect(result.status == 31, "\(result.output)")
        #expect(result.stdout.contains("not fixed: did not overwrite or remove \(legacy): it has 1 other hard link"))
        #expect(contents(legacy) == legacyJSON)
        #expect(contents(elsewhere) == legacyJSON)
    }
}
