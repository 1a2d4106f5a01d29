import Foundation
import Testing

/// `init` where a file already is: a vault is never to be removed on a hint's word.
@Suite("init over an existing file")
struct InitHintTests {
    enum Existing: String, CaseIterable, CustomTestStringConvertible {
        case vault, otherFile

        var testDescription: String { rawValue }
    }

    @Test("a vault points to status and backups, any other file may be removed; exit 16 either way", arguments: Existing.allCases)
    func existing(_ existing: Existing) throws {
        let sandbox = try Sandbox(initialised: existing == .vault)
        if existing == .otherFile {
            let contents = Data("notes\n".utf8)
            try FileManager.default.createDirectory(atPath: (sandbox.vault as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            #expect(FileManager.default.createFile(atPath: sandbox.vault, contents: contents, attributes: [.posixPermissions: 0o600]))
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        let result = try sandbox.run(["init"])
        #expect(result.status == 16, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: sandbox.vault)) == before)
        switch existing {
        case .vault:
            #expect(result.stderr.contains("tokenvault: error: \(sandbox.vault) is already a vault; refusing to overwrite it"), "\(result.stderr)")
            #expect(result.stderr.contains("tokenvault: hint: see what it holds with 'tokenvault status'; keep it, or keep a backup of it before anything replaces it (README, \"Backup\")"), "\(result.stderr)")
            #expect(!result.stderr.contains("remove"), "\(result.stderr)")
        case .otherFile:
            #expect(result.stderr.contains("tokenvault: error: \(sandbox.vault) already exists; refusing to overwrite it"), "\(result.stderr)")
            #expect(result.stderr.contains("tokenvault: hint: choose another path, or remove the file first if you are sure it is not needed"), "\(result.stderr)")
        }
    }

    @Test("with --vault, the status command names the same vault")
    func explicitVault() throws {
        let sandbox = try Sandbox()
        let other = sandbox.directory.file("other/tokens.vault")
        try sandbox.expectSuccess(["init", "--vault", other])
        let result = try sandbox.run(["init", "--vault", other])
        #expect(result.status == 16)
        #expect(result.stderr.contains("tokenvault: hint: see what it holds with 'tokenvault status --vault \(other)'"), "\(result.stderr)")
    }
}
